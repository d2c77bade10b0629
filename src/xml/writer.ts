/**
 * The little XML feedwerk writes (feeds, OPML), written directly: every
 * text and attribute escaped, characters XML cannot carry dropped, CDATA
 * split where the content holds "]]>". Below both input (OPML out) and
 * publish (feeds), which must not reach into each other.
 */
import { escapeXml } from "../normalise/html";
import { stripNonXmlChars } from "../normalise/text";

/** Text as XML character data or an attribute value, without the characters XML cannot carry. */
export function xmlText(text: string): string {
  return escapeXml(stripNonXmlChars(text));
}

export function cdata(text: string): string {
  return `<![CDATA[${stripNonXmlChars(text).replaceAll("]]>", "]]]]><![CDATA[>")}]]>`;
}

type Attrs = Record<string, string | number | undefined | null>;

function attrs(a: Attrs): string {
  let out = "";
  for (const k in a) {
    const v = a[k];
    if (v !== undefined && v !== null) out += ` ${k}="${xmlText(String(v))}"`;
  }
  return out;
}

/** <name attrs>escaped text</name> */
export function textEl(name: string, text: string, a: Attrs = {}): string {
  return `<${name}${attrs(a)}>${xmlText(text)}</${name}>`;
}

/** <name attrs><![CDATA[html]]></name> */
export function cdataEl(name: string, html: string, a: Attrs = {}): string {
  return `<${name}${attrs(a)}>${cdata(html)}</${name}>`;
}

export function emptyEl(name: string, a: Attrs): string {
  return `<${name}${attrs(a)}/>`;
}

export const PROLOG = '<?xml version="1.0" encoding="utf-8"?>\n';
