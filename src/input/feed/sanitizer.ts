/**
 * The allow-list feed HTML is sanitised with (html.ts), and sanitize-html's
 * algorithm (2.17) run with exactly these options, compiled once. sanitize-html
 * rebuilds its option tables, handlers and a frame class of closures on every
 * call, which cost several times its tokenizer pass on an entry's few hundred
 * bytes; here the same htmlparser2 events meet the same decisions in the same
 * order, so the output is sanitize-html's byte for byte. A `srcset`, the one
 * allowed attribute whose value sanitize-html rewrites with a parser of its
 * own, sends the fragment to sanitize-html itself.
 */
import { Parser } from "htmlparser2";
import sanitize from "sanitize-html";

const ALLOWED_TAGS = [
  ...["p", "br", "hr", "a", "strong", "b", "em", "i", "u", "s", "sub", "sup", "small", "mark", "abbr", "q", "cite", "blockquote", "pre", "code"],
  ...["ul", "ol", "li", "dl", "dt", "dd", "h2", "h3", "h4", "h5", "h6", "img", "figure", "figcaption", "picture", "source"],
  ...["table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "time"],
];

function absolutise(base: string | null, value: string | undefined): string | undefined {
  if (!value) return value;
  try {
    return new URL(value, base ?? undefined).toString();
  } catch {
    return undefined;
  }
}

/** The base the transforms resolve against, for the one sanitising call running (sanitising is synchronous). */
let linkBase: string | null = null;

export const SANITIZE: sanitize.IOptions = {
  allowedTags: ALLOWED_TAGS,
  allowedAttributes: {
    a: ["href", "title"],
    img: ["src", "alt", "title", "width", "height"],
    source: ["srcset", "type", "media"],
    abbr: ["title"],
    time: ["datetime"],
    th: ["colspan", "rowspan"],
    td: ["colspan", "rowspan"],
  },
  allowedSchemes: ["http", "https", "mailto"],
  allowedSchemesByTag: { img: ["http", "https"] },
  allowProtocolRelative: false,
  disallowedTagsMode: "discard",
  // h1 would compete with the reader's own title. The attributes are copied, then set, as a spread followed by
  // fields it lacks would give them: V8 builds such a spread on a slow path (ten times the time, measured);
  // htmlparser2's attributes are plain data, so the copy is the same
  transformTags: {
    h1: "h2",
    a: (tagName, attribs) => {
      const copy = Object.assign({}, attribs);
      copy.href = absolutise(linkBase, attribs.href) ?? "";
      copy.rel = "nofollow noopener";
      return { tagName, attribs: copy };
    },
    img: (tagName, attribs) => {
      const copy = Object.assign({}, attribs);
      copy.src = absolutise(linkBase, attribs.src) ?? "";
      return { tagName, attribs: copy };
    },
  },
  allowedSchemesAppliedToAttributes: ["href", "src"],
  exclusiveFilter: (frame) => frame.tag === "img" && !frame.attribs.src,
};

// the option tables sanitize-html builds per call, built once from the same options and its own defaults
const allowed = new Set(SANITIZE.allowedTags || []);
const allowedAttributes = new Map(Object.entries(SANITIZE.allowedAttributes || {}) as [string, string[]][]);
const transforms = new Map(
  Object.entries(SANITIZE.transformTags ?? {}).map(([tag, t]): [string, sanitize.Transformer] => [
    tag,
    typeof t === "string" ? sanitize.simpleTransform(t, {}) : t,
  ]),
);
const schemes = SANITIZE.allowedSchemes as string[];
const schemesByTag = new Map(Object.entries(SANITIZE.allowedSchemesByTag ?? {}) as [string, string[]][]);
const schemeChecked = new Set(SANITIZE.allowedSchemesAppliedToAttributes);
const exclude = SANITIZE.exclusiveFilter!;
const defaults = sanitize.defaults as sanitize.IDefaults & { allowedEmptyAttributes: string[] };
const SELF_CLOSING = new Set(defaults.selfClosing);
const NON_BOOLEAN = new Set(defaults.nonBooleanAttributes);
const EMPTY_ALLOWED = new Set(defaults.allowedEmptyAttributes);
// sanitize-html's default nonTextTags: a disallowed one drops its text too
const NON_TEXT = new Set(["script", "style", "textarea", "option"]);
const VALID_HTML_ATTRIBUTE_NAME = /^[^\0\t\n\f\r /<=>]+$/;

interface Frame {
  tag: string;
  attribs: Record<string, string>;
  tagPosition: number;
}

/** The state of the one call running, as sanitize-html keeps it. */
const state = {
  result: "",
  depth: 0,
  stack: [] as Frame[],
  // by depth, as sanitize-html's objects: an entry a mismatched end tag leaves behind stays, as there
  skipMap: [] as (boolean | undefined)[],
  transformMap: [] as (string | undefined)[],
  skipText: false,
  skipTextDepth: 0,
  /** A srcset was met: sanitize-html reads this fragment instead. */
  unsupported: false,
  /** Handlers of another reader fed the same events in the same pass (html.ts's plain text). */
  also: null as Handler | null,
};

export type Handler = Partial<ConstructorParameters<typeof Parser>[0]>;

/**
 * sanitize-html(html, SANITIZE), its result untrimmed, with links resolved against `base`; `also`, when given,
 * is fed the parser's events as well, so one tokenizer pass serves both.
 */
export function sanitizeFragment(html: string, base: string | null, also: Handler | null = null): string {
  linkBase = base;
  Object.assign(state, { result: "", depth: 0, stack: [], skipMap: [], transformMap: [], skipText: false, skipTextDepth: 0, unsupported: false, also });
  try {
    new Parser(HANDLER, { decodeEntities: true }).end(html);
    if (!state.unsupported) return state.result;
    // the other reader has had every event already: sanitize-html's own pass feeds it none
    return sanitize(html, SANITIZE);
  } finally {
    linkBase = null;
    Object.assign(state, { result: "", stack: [], skipMap: [], transformMap: [], also: null });
  }
}

const HANDLER: Handler = {
  onopentagname(name) {
    state.also?.onopentagname?.(name);
  },
  onopentag(name, attribs) {
    if (state.skipText) {
      state.skipTextDepth++;
      return;
    }
    const frame: Frame = { tag: name, attribs, tagPosition: state.result.length };
    state.stack.push(frame);
    const transform = transforms.get(name);
    if (transform) {
      const transformed = transform(name, attribs);
      frame.attribs = attribs = transformed.attribs;
      if (name !== transformed.tagName) {
        name = transformed.tagName;
        state.transformMap[state.depth] = name;
      }
    }
    if (!allowed.has(name)) {
      state.skipMap[state.depth++] = true;
      if (NON_TEXT.has(name)) {
        state.skipText = true;
        state.skipTextDepth = 1;
      }
      return;
    }
    state.depth++;
    state.result += `<${name}`;
    const names = allowedAttributes.get(name);
    if (names) state.result += attributes(name, frame.attribs, names);
    state.result += SELF_CLOSING.has(name) ? " />" : ">";
  },
  ontext(text) {
    state.also?.ontext?.(text);
    if (state.skipText) return;
    const tag = state.stack.at(-1)?.tag;
    // as sanitize-html: text it takes for a script's or style's own is kept as it is
    state.result += tag === "script" || tag === "style" ? text : escapeHtml(text, false);
  },
  onclosetag(name) {
    state.also?.onclosetag?.(name, false);
    if (state.skipText && --state.skipTextDepth) return;
    state.skipText = false;
    const frame = state.stack.pop();
    if (!frame) return;
    if (frame.tag !== name) {
      state.stack.push(frame);
      return;
    }
    const depth = --state.depth;
    if (state.skipMap[depth]) {
      state.skipMap[depth] = undefined;
      return;
    }
    const renamed = state.transformMap[depth];
    if (renamed) {
      name = renamed;
      state.transformMap[depth] = undefined;
    }
    if (exclude(frame as unknown as sanitize.IFrame)) {
      state.result = state.result.substring(0, frame.tagPosition);
      return;
    }
    if (!SELF_CLOSING.has(name)) state.result += `</${name}>`;
  },
};

/** The attributes sanitize-html writes of an allowed element, in their order; those it drops are deleted from `attribs`. */
function attributes(name: string, attribs: Record<string, string>, names: string[]): string {
  let out = "";
  for (const a of Object.keys(attribs)) {
    const value = attribs[a]!;
    const kept =
      VALID_HTML_ATTRIBUTE_NAME.test(a) &&
      !(value === "" && !EMPTY_ALLOWED.has(a) && NON_BOOLEAN.has(a)) &&
      names.includes(a) &&
      !(schemeChecked.has(a) && naughtyHref(name, value));
    if (!kept) {
      delete attribs[a];
      continue;
    }
    if (a === "srcset") state.unsupported = true;
    out += ` ${a}`;
    if (value) out += `="${escapeHtml(value, true)}"`;
    else if (EMPTY_ALLOWED.has(a)) out += '=""';
  }
  return out;
}

const ESCAPED = /[&<>"]/;
const ESCAPE: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/**
 * sanitize-html's escapeHtml with decodeEntities: & < > (and " in attributes) as references. Its second pass, for
 * ampersands that start no reference, finds none after the first.
 */
function escapeHtml(s: string, quote: boolean): string {
  if (!ESCAPED.test(s)) return s;
  return s.replace(quote ? /[&<>"]/g : /[&<>]/g, (c) => ESCAPE[c]!);
}

/** sanitize-html's naughtyHref: whether a URL's scheme is not allowed here. */
function naughtyHref(name: string, value: string): boolean {
  let href = value.replace(/[\x00-\x20]+/g, "");
  // comments in URLs, which a browser might read inside an XML data island
  for (;;) {
    const first = href.indexOf("<!--");
    if (first === -1) break;
    const last = href.indexOf("-->", first + 4);
    if (last === -1) break;
    href = href.substring(0, first) + href.substring(last + 3);
  }
  const matches = /^([a-zA-Z][a-zA-Z0-9.\-+]*):/.exec(href);
  if (!matches) return /^[/\\]{2}/.test(href) ? !SANITIZE.allowProtocolRelative : false;
  const scheme = matches[1]!.toLowerCase();
  return !(schemesByTag.get(name) ?? schemes).includes(scheme);
}
