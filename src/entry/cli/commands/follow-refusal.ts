/** The address policy the sources commands follow feeds by: the configured allowed hosts. */
import { AddressPolicy } from "../../../input/fetch/address-policy";
import { readConfig } from "../../config";

/** Why the feed at `url` may not be followed from here (a private or local address), or null; see AddressPolicy.followRefusal. */
export const followRefusal = (url: string) => new AddressPolicy(readConfig().allowedHosts).followRefusal(url);
