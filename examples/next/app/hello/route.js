/** `GET /hello`: a route handler, answered by Next. */
export function GET() {
  return new Response('hi from the app', { headers: { 'content-type': 'text/plain' } });
}
