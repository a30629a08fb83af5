// GET /events: server-sent events from the in-process bus (event-bus.ts). The token may come as
// ?token= because EventSource cannot set headers.
import { Type } from 'typebox';
import { responses, type RouteContext, type TypedApp } from './common.js';

const PING_MS = 15_000;

export function eventRoutes(app: TypedApp, context: RouteContext): void {
  app.get(
    '/events',
    {
      config: { access: 'read', tokenInQuery: true, rateLimit: false },
      schema: {
        tags: ['events'],
        summary: 'Live events (text/event-stream): attestation, alert, chain, quarantine, reading',
        querystring: Type.Object({ token: Type.Optional(Type.String({ maxLength: 128 })) }),
        response: responses(Type.String({ description: 'text/event-stream' })),
      },
    },
    async (request, reply) => {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 3000\n: connected\n\n');
      const unsubscribe = context.events.subscribe((event) => {
        raw.write(`event: ${event.kind}\ndata: ${JSON.stringify(event.data)}\n\n`);
      });
      const ping = setInterval(() => raw.write(': ping\n\n'), PING_MS);
      ping.unref();
      context.streams.add(raw);
      raw.on('close', () => {
        clearInterval(ping);
        unsubscribe();
        context.streams.delete(raw);
      });
    },
  );
}
