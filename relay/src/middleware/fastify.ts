/** A Fastify plugin over the one core: an `onError` hook on every route of the instance it is registered on. */
import type { IncomingMessage } from 'node:http';
import { type RequestErrorCapture, type RequestErrorOptions, reportRequestError } from './core.ts';

/** The part of a Fastify instance the plugin uses. */
export interface FastifyLike {
  addHook(name: 'onError', hook: (request: { raw: IncomingMessage }, reply: unknown, error: unknown, done: () => void) => void): unknown;
}

/** A Fastify plugin: `fastify.register(relay.fastifyPlugin, options?)`. */
export type FastifyPlugin = ((instance: FastifyLike, options: RequestErrorOptions, done: (err?: Error) => void) => void) & {
  [key: symbol]: unknown;
};

/** Creates the Fastify plugin. It is not encapsulated (as fastify-plugin would mark it), so it sees the errors of every route. */
export function createFastifyPlugin(capture: RequestErrorCapture): FastifyPlugin {
  const plugin = ((instance: FastifyLike, options: RequestErrorOptions, done: (err?: Error) => void) => {
    instance.addHook('onError', (request, _reply, error, next) => {
      reportRequestError(capture, error, request.raw, options ?? {});
      next();
    });
    done();
  }) as FastifyPlugin;
  plugin[Symbol.for('skip-override')] = true;
  plugin[Symbol.for('fastify.display-name')] = 'sentiero';
  return plugin;
}
