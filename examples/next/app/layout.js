/** The root layout: every page gets the recorder, served by the relay on the same server. */
export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <head>
        <script src="/sentiero/recorder.js" />
        <script dangerouslySetInnerHTML={{ __html: 'Sentiero.start()' }} />
      </head>
      <body>{children}</body>
    </html>
  );
}
