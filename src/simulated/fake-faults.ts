import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from './fake-http.js';
import type { FakeRoute, Fault, RouteContext } from './fake-types.js';

/**
 * How an injected fault changes a fake's answer. Faults in the first group replace the request
 * before anything is handled (no task is created); the `accept-then-*` group lets the handler
 * run for real (a submit creates its task, as a billed provider would) and then spoils the reply.
 */

/**
 * A 404 that is not the provider's own answer (a proxy or a wrong path in front of it): the
 * request is handled for real (harmless on a status or lookup), then a plain-text 404 goes back.
 */
export function bareNotFoundFault(): Fault {
  return { type: 'accept-then-gateway-page', status: 404, body: '404 page not found' };
}

/** What a load balancer sends when the origin behind it failed to answer in time. */
const GATEWAY_PAGE =
  '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>';

/** Answers in place of the route; true when the fault took the request. */
export function answerBeforeHandling(
  fault: Fault | undefined,
  request: IncomingMessage,
  response: ServerResponse,
  errorBody: ((status: number) => unknown) | undefined,
): boolean {
  switch (fault?.type) {
    case 'reset':
      request.socket.destroy();
      return true;
    case 'hang':
      return true;
    case 'status':
      sendJson(
        response,
        fault.status,
        fault.body ?? errorBody?.(fault.status) ?? { error: `injected ${fault.status}` },
        fault.headers,
      );
      return true;
    case 'malformed-json':
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"code": 0, "data": {"task_id": ');
      return true;
    default:
      return false;
  }
}

/** Runs the route under an `accept-then-*` fault; false when the fault is not one of those. */
export async function handleWithFault(
  fault: Fault | undefined,
  route: FakeRoute,
  context: RouteContext,
): Promise<boolean> {
  const { request, response } = context;
  if (
    fault?.type === 'accept-then-cut' ||
    fault?.type === 'accept-then-hang' ||
    fault?.type === 'accept-then-gateway-page'
  ) {
    // The handler runs (the task exists and would be billed), but the client never hears back.
    const swallow = new Proxy(response, {
      get: (target, property) =>
        property === 'writeHead' || property === 'end' || property === 'write'
          ? () => target
          : Reflect.get(target, property),
    });
    await route.handle({ ...context, response: swallow });
    if (fault.type === 'accept-then-cut') request.socket.destroy();
    if (fault.type === 'accept-then-gateway-page') {
      response.writeHead(fault.status ?? 502, { 'content-type': 'text/html' });
      response.end(fault.body ?? GATEWAY_PAGE);
    }
    return true;
  }
  if (fault?.type === 'accept-then-delay') {
    // The origin took the request at once; its answer is slow (a long submit in flight).
    const held = new Proxy(response, {
      get: (target, property) =>
        property === 'writeHead' || property === 'end' || property === 'write'
          ? (...args: unknown[]) => {
              setTimeout(() => {
                if (!target.destroyed)
                  (Reflect.get(target, property) as (...a: unknown[]) => unknown).apply(
                    target,
                    args,
                  );
              }, fault.ms);
              return target;
            }
          : Reflect.get(target, property),
    });
    await route.handle({ ...context, response: held });
    return true;
  }
  return false;
}
