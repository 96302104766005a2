/**
 * NestJS on its Express platform or its Fastify platform, with the Sentiero relay attached to
 * `app.getHttpServer()`: no adapter needed. The module is declared with Nest's decorators
 * called as functions, so no `experimentalDecorators` setting is needed to run it.
 * Run: `npm run build && node --conditions=development --import tsx examples/nest/server.ts
 * [express|fastify]` (PORT, default 3000).
 */
import 'reflect-metadata';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Header, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { type Relay, type RelayOptions, createRelay } from '@sentiero/relay';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Sentiero + NestJS</title>
<script src="/sentiero/recorder.js"></script><script>Sentiero.start()</script></head>
<body><h1>Sentiero + NestJS</h1><label>Name <input id="name"></label></body></html>`;

/** The app's controller: the page and `GET /hello`. */
class AppController {
  page(): string { return PAGE; }
  hello(): string { return 'hi from the app'; }
}
/** Applies method decorators as `@Get()` written above the method would. */
function decorate(target: object, key: string, ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key)!;
  for (const d of decorators) d(target, key, descriptor);
}
Controller()(AppController);
decorate(AppController.prototype, 'page', Get('/'), Header('content-type', 'text/html; charset=utf-8'));
decorate(AppController.prototype, 'hello', Get('hello'), Header('content-type', 'text/plain; charset=utf-8'));

/** The root module. */
class AppModule {}
Module({ controllers: [AppController] })(AppModule);

/** Which Nest HTTP platform to run on. */
export type NestPlatform = 'express' | 'fastify';

/** The Nest app with the relay attached to its HTTP server; call `app.listen()`; on shutdown `relay.close()` (it closes its sockets), then `app.close()`. */
export async function createNestServer(platform: NestPlatform, relayOptions: RelayOptions = {}): Promise<{ app: INestApplication; relay: Relay }> {
  const adapter = platform === 'express' ? new ExpressAdapter() : new FastifyAdapter();
  const app = await NestFactory.create(AppModule, adapter, { logger: ['error', 'warn'] });
  const relay = createRelay(relayOptions);
  relay.attach(app.getHttpServer() as Server);
  return { app, relay };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { app, relay } = await createNestServer(process.argv[2] === 'fastify' ? 'fastify' : 'express');
  await relay.ready;
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  console.log(`app:       http://127.0.0.1:${port}/`);
  console.log(`dashboard: http://127.0.0.1:${port}${relay.basePath}/#token=${relay.token}`);
  process.once('SIGINT', async () => { await relay.close(); await app.close(); });
}
