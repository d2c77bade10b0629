import { sha256Hex } from "./sha256";
import { comparable } from "./text";

/**
 * A story's identity. The portal shows the same story as an article, as a
 * timed teaser ("vor 3 Minuten") and as an untimed teaser, on many pages;
 * the one thing they share is the headline. Dates, texts and comment counts
 * change between observations and must not change the identity.
 */
export function storyKey(title: string): string {
  return sha256Hex(`story\n${comparable(title)}`).slice(0, 32);
}

/** The globally unique, never-changing id a feed publishes (RSS guid, Atom id). */
export function guidFor(id: string): string {
  return `urn:feedwerk:item:${id}`;
}
