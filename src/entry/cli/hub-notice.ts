/** WebSub from the command line: every command that changes feeds tells the configured hub. */
import { announceChanges } from "../../publish/websub";
import { readConfig } from "../config";

/** Tells the configured hub which feeds a command changed. A failed ping is a warning, not a failed command. */
export async function notifyHub(changedTags: Set<string>, anyItemChanged: boolean): Promise<void> {
  const { hubUrl, publicUrl } = readConfig();
  if (!hubUrl || !publicUrl) return;
  const { urls, failed } = await announceChanges(hubUrl, publicUrl, changedTags, anyItemChanged);
  if (!urls.length) return;
  console.log(`websub: notified ${hubUrl} of ${urls.length - failed.length} of ${urls.length} changed feeds`);
  for (const f of failed) console.error(`warning: websub ping for ${f.url} failed: ${f.detail}`);
}
