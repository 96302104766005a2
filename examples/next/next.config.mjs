/** The example's Next.js config: nothing Sentiero needs. */
export default {};
