import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shownNotifyUrl } from '../../../src/contracts/notification.js';
import { ConfigurationError } from '../../../src/errors.js';
import { notifySigner } from '../../../src/notify/notify-secret.js';
import { notifyUrlIssues } from '../../../src/notify/notify-url.js';

const KEY = randomBytes(32);
const SECRET = `whsec_${KEY.toString('base64')}`;

describe('KLINGFLOW_NOTIFY_SECRET', () => {
  it('signs "<id>.<timestamp>.<body>" with the base64-decoded key after whsec_', () => {
    const at = new Date(1_800_000_000_000);
    const signature = notifySigner({ KLINGFLOW_NOTIFY_SECRET: SECRET }).sign('msg_1', at, '{}');
    const expected = createHmac('sha256', KEY).update('msg_1.1800000000.{}').digest('base64');
    expect(signature).toBe(`v1,${expected}`);
  });

  it.each([
    ['unset', undefined, /is not set/],
    ['without the whsec_ prefix', KEY.toString('base64'), /must be whsec_/],
    ['not base64', 'whsec_not base64!', /must be whsec_/],
    ['too short a key', `whsec_${randomBytes(8).toString('base64')}`, /at least 16 bytes/],
  ])('is refused when %s, naming the variable and never the value', (_name, value, message) => {
    const read = () => notifySigner(value === undefined ? {} : { KLINGFLOW_NOTIFY_SECRET: value });
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(message);
    expect(read).toThrow(/^KLINGFLOW_NOTIFY_SECRET: /);
    if (value) expect(() => read()).not.toThrow(value);
  });
});

describe('notifyUrlIssues', () => {
  const environment = { KLINGFLOW_NOTIFY_SECRET: SECRET };

  it('accepts a public http(s) URL when the secret is set', () => {
    expect(notifyUrlIssues('https://hooks.example.com/k?token=t', environment)).toEqual([]);
  });

  it.each([
    ['http://127.0.0.1:8080/hook', /127\.0\.0\.1 is a private or loopback address/],
    ['http://[::ffff:10.0.0.1]/hook', /private or loopback/],
    ['http://localhost/hook', /localhost is a private/],
    ['file:///etc/passwd', /only http\(s\) URLs/],
    ['not a url', /not a valid URL/],
  ])('refuses %s on field notifyUrl', (url, message) => {
    const issues = notifyUrlIssues(url, environment, 'line 3');
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ field: 'notifyUrl', location: 'line 3' });
    expect(issues[0]!.message).toMatch(message);
  });

  it('allows loopback only with KLINGFLOW_ALLOW_PRIVATE_NETWORK, like every fetched URL', () => {
    const allowed = { ...environment, KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1' };
    expect(notifyUrlIssues('http://127.0.0.1:8080/hook', allowed)).toEqual([]);
  });

  it('refuses any notify URL without a secret to sign with', () => {
    const [issue] = notifyUrlIssues('https://hooks.example.com/k', {});
    expect(issue?.field).toBe('notifyUrl');
    expect(issue?.message).toMatch(/needs KLINGFLOW_NOTIFY_SECRET/);
  });
});

describe('shownNotifyUrl', () => {
  it.each([
    ['https://hooks.example.com/k?token=abc#x', 'https://hooks.example.com/k?…'],
    ['https://user:pass@hooks.example.com/k', 'https://hooks.example.com/k'],
    ['http://127.0.0.1:9/hooks', 'http://127.0.0.1:9/hooks'],
  ])('shows %s as %s', (url, shown) => {
    expect(shownNotifyUrl(url)).toBe(shown);
  });
});
