/** The home page. */
export default function Home() {
  return (
    <main>
      <h1>Sentiero + Next.js</h1>
      <label>Name <input id="name" /></label>
    </main>
  );
}
