/** "Download replay": the session's HTML export, fetched with the viewer token and saved by the browser as a file. */
import type { Client } from '@sentiero/protocol';

/** Fetches the export and hands it to the browser's download (a `blob:` link, removed right after). */
export async function downloadExport(client: Pick<Client, 'exportHtml'>, sessionId: string): Promise<void> {
  const { filename, body } = await client.exportHtml(sessionId);
  const blob = await new Response(body).blob();
  const url = URL.createObjectURL(new Blob([blob], { type: 'text/html' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
