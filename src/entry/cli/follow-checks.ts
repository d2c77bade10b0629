/**
 * Whether each of many feed URLs may be followed from here, asked a few at
 * a time: each question may wait on a DNS lookup (up to 3 s), so a file of
 * a hundred new feeds is checked in seconds, not minutes, without flooding
 * the resolver.
 */

/** How many lookups run at once. */
const AT_ONCE = 8;

/** `refusal` of every URL, in their order; as many at once as AT_ONCE. */
export async function followRefusals(urls: readonly string[], refusal: (url: string) => Promise<string | null>): Promise<(string | null)[]> {
  const answers: (string | null)[] = new Array(urls.length).fill(null);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < urls.length; i = next++) answers[i] = await refusal(urls[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(AT_ONCE, urls.length) }, worker));
  return answers;
}
