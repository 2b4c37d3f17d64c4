import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedNotification {
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the receiver answers its n-th request (1-based): an HTTP status, or a dropped connection. */
export type ReceiverAnswer = number | 'reset';

/**
 * A real HTTP receiver for completion notifications on loopback: it records every request
 * (headers and raw body, as a verifier needs them) and answers as the test says.
 */
export async function startNotifyReceiver(
  answer: (attempt: number) => ReceiverAnswer = () => 200,
): Promise<{
  url: string;
  received: ReceivedNotification[];
  close(): Promise<void>;
}> {
  const received: ReceivedNotification[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = answer(received.length);
      if (reply === 'reset') {
        request.socket.destroy();
        return;
      }
      response.writeHead(reply, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/klingflow?token=receiver-secret`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
