/**
 * An XSL stylesheet that shows an RSS or Atom feed opened in a browser as a
 * page with its items, instead of raw XML. Browsers are retiring XSLT
 * (Chromium warns on the console); where they no longer apply it, the feed
 * still shows as XML, and /feeds/TAG is the page for people.
 */
export const FEED_STYLESHEET_PATH = "/feed.xsl";

export const FEED_STYLESHEET = `<?xml version="1.0" encoding="utf-8"?>
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  exclude-result-prefixes="atom dc">
  <xsl:output method="html" encoding="utf-8" doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <html lang="de">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="/rss/channel/title | /atom:feed/atom:title"/></title>
        <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
        <style>
          body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
          a{color:#0645ad}.meta{color:#666;font-size:.9rem}.note{background:#f4f4f4;padding:.6rem 1rem;border-radius:4px}
        </style>
      </head>
      <body>
        <p class="note">Dies ist ein Feed. Kopieren Sie die Adresse aus der Adresszeile in Ihren Feedreader, um ihn zu abonnieren.</p>
        <h1><xsl:value-of select="/rss/channel/title | /atom:feed/atom:title"/></h1>
        <p><a href="{/rss/channel/link | /atom:feed/atom:link[@rel='alternate']/@href}">Als Webseite lesen</a></p>
        <ol class="items">
          <xsl:apply-templates select="/rss/channel/item | /atom:feed/atom:entry"/>
        </ol>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item">
    <li class="item">
      <a href="{link}"><xsl:value-of select="title"/></a>
      <div class="meta"><xsl:value-of select="pubDate"/><xsl:if test="dc:creator"> · <xsl:value-of select="dc:creator"/></xsl:if></div>
      <p><xsl:value-of select="description"/></p>
    </li>
  </xsl:template>

  <xsl:template match="atom:entry">
    <li class="item">
      <a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a>
      <div class="meta"><xsl:value-of select="atom:published"/><xsl:if test="atom:author"> · <xsl:value-of select="atom:author/atom:name"/></xsl:if></div>
      <p><xsl:value-of select="atom:summary"/></p>
    </li>
  </xsl:template>
</xsl:stylesheet>
`;
