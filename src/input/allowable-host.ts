/**
 * The host names FEEDWERK_ALLOWED_HOSTS takes: dot-separated labels of letters, digits and inner hyphens.
 * Apart from the address policy (input/fetch, Node only) because the configuration, which the Worker reads too, checks them.
 */
export const ALLOWABLE_HOST_NAME = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i;
