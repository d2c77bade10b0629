/**
 * A page's elements, gathered in one walk of its DOM: by tag, those with a
 * class or id, those with an itemprop or a role. What the metadata, date
 * and region readers look up, each of which once walked the whole page
 * with a CSS selector of its own (a walk costs as much as a selector
 * matched against every element: six of them cost more than parsing).
 * Valid until the DOM changes.
 */
/** The DOM the page readers need: what linkedom's documents (and browsers') offer. */
export interface Element {
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  querySelectorAll(selector: string): Iterable<Element>;
  querySelector(selector: string): Element | null;
  readonly textContent: string | null;
  readonly tagName: string;
  readonly parentElement: Element | null;
}

export class PageIndex {
  /** Elements with a class or an id, in document order. */
  readonly named: Element[] = [];
  /** Elements with an itemprop, in document order. */
  readonly itemprops: Element[] = [];
  /** Elements with a role, in document order. */
  readonly roles: Element[] = [];
  private readonly tags = new Map<string, Element[]>();
  // each named element's class and id, read once: a class is read through a token list, which joins it anew every time
  private readonly classes = new Map<Element, string>();
  private readonly names = new Map<Element, string>();

  constructor(root: Element) {
    for (const el of root.querySelectorAll("*")) {
      const tag = el.tagName.toLowerCase();
      const same = this.tags.get(tag);
      if (same) same.push(el);
      else this.tags.set(tag, [el]);
      // asked first whether it is there: reading an attribute costs more than asking, and most elements have few
      const hasClass = el.hasAttribute("class");
      if (hasClass || el.hasAttribute("id")) {
        const cls = hasClass ? (el.getAttribute("class") ?? "") : "";
        this.named.push(el);
        if (cls) this.classes.set(el, cls);
        this.names.set(el, `${cls} ${el.getAttribute("id") ?? ""}`);
      }
      if (el.hasAttribute("itemprop")) this.itemprops.push(el);
      if (el.hasAttribute("role")) this.roles.push(el);
    }
  }

  /** An element's class attribute as the page gave it ("" for none). */
  classOf(el: Element): string {
    return this.classes.get(el) ?? "";
  }

  /** An element's class and id, one string to test names against ("" for neither). */
  nameOf(el: Element): string {
    return this.names.get(el) ?? "";
  }

  /** The elements of a tag (lower case), in document order. */
  tag(name: string): readonly Element[] {
    return this.tags.get(name) ?? [];
  }
}

/** The tokens of a space-separated attribute (class, rel, itemprop), lower case unless `keepCase`. */
export function tokens(el: Element, attribute: string, keepCase = false): string[] {
  const value = el.getAttribute(attribute);
  if (!value) return [];
  return (keepCase ? value : value.toLowerCase()).split(/\s+/).filter(Boolean);
}
