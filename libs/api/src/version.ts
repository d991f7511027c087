// The Bronze release every binary reports. Bumped once per release, in this one place.
export const BRONZE_VERSION = "0.1.0";

/**
 * The `cluster.etcd.image` generated configs carry: the etcd in the root filesystem (Debian's
 * etcd-server 3.4), which control planes run. Another reference is not pulled (yet): machined says so.
 */
export const BUILTIN_ETCD_IMAGE = "localhost/bronze/etcd:v3.4.23";
