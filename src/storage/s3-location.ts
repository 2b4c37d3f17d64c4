import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { VARIABLES } from '../config/variables.js';
import { ConfigurationError } from '../errors.js';

/** Where `KLINGFLOW_STORAGE=s3://bucket/prefix` points: a bucket and a key prefix ('' or 'a/b/'). */
export interface S3Location {
  bucket: string;
  /** Empty, or ends with '/'. */
  prefix: string;
}

/** Bucket names as S3 allows them (3-63 characters of lower-case letters, digits, '.' and '-'). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseS3Location(value: string, variable: string = VARIABLES.storage): S3Location {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(value.trim());
  const bucket = match?.[1] ?? '';
  if (!match || !BUCKET.test(bucket)) {
    throw new ConfigurationError(
      variable,
      `expected s3://bucket or s3://bucket/prefix with a valid bucket name, not ${JSON.stringify(value.slice(0, 80))}`,
    );
  }
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  const segments = prefix === '' ? [] : prefix.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new ConfigurationError(
      variable,
      `the prefix ${JSON.stringify(prefix)} has empty or dot segments`,
    );
  }
  return { bucket, prefix: prefix ? `${prefix}/` : '' };
}

/** `s3://bucket/key`, the form videos[].path takes with S3 storage. */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** Bucket and key of an `s3://` URI; undefined for anything else. */
export function splitS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match?.[1] && match[2] ? { bucket: match[1], key: match[2] } : undefined;
}

/**
 * The S3 client: region and credentials come from the AWS SDK's standard chain (environment,
 * shared config and credentials files, SSO, container and instance roles). `KLINGFLOW_S3_ENDPOINT`
 * points it at an S3-compatible server, which gets path-style addressing (no bucket DNS names)
 * and checksums only where the API requires them (many compatible servers reject the SDK's
 * default streaming-checksum encoding).
 */
export function createS3Client(
  environment: NodeJS.ProcessEnv = process.env,
  overrides: S3ClientConfig = {},
): S3Client {
  const endpoint = environment[VARIABLES.s3Endpoint]?.trim();
  const config: S3ClientConfig = {};
  if (endpoint) {
    try {
      new URL(endpoint);
    } catch (cause) {
      throw new ConfigurationError(VARIABLES.s3Endpoint, `not a URL: ${endpoint}`, { cause });
    }
    config.endpoint = endpoint;
    config.forcePathStyle = true;
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
    // Compatible servers rarely care about the region, but the signer needs one.
    if (!environment.AWS_REGION && !environment.AWS_DEFAULT_REGION) config.region = 'us-east-1';
  }
  if (environment.AWS_REGION || environment.AWS_DEFAULT_REGION) {
    config.region = environment.AWS_REGION || environment.AWS_DEFAULT_REGION;
  }
  // An explicit environment (tests, embedded workers) wins over the process's for keys too; the
  // SDK's own chain still applies when none are given here.
  if (environment.AWS_ACCESS_KEY_ID && environment.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: environment.AWS_ACCESS_KEY_ID,
      secretAccessKey: environment.AWS_SECRET_ACCESS_KEY,
      ...(environment.AWS_SESSION_TOKEN ? { sessionToken: environment.AWS_SESSION_TOKEN } : {}),
    };
  }
  return new S3Client({ ...config, ...overrides });
}
