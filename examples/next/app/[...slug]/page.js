/** A catch-all route at the root: Next matches every path no other route takes (the relay answers /sentiero first). */
export default async function Doc({ params }) {
  const { slug } = await params;
  return <h1>{slug.join('/')}</h1>;
}
