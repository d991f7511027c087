/** The rootfs's /etc: fixed users (Talos' uids for apid and trustd), hosts, os-release, nsswitch. */
export const APID_UID = 50;
export const TRUSTD_UID = 51;
export const ETCD_UID = 60;
export const NOBODY_UID = 65534;

const USERS: ReadonlyArray<readonly [name: string, id: number]> = [
  ["root", 0],
  ["apid", APID_UID],
  ["trustd", TRUSTD_UID],
  ["etcd", ETCD_UID],
  ["nobody", NOBODY_UID],
];

export interface OsRelease {
  /** e.g. `0.1.0` or `dev`. */
  readonly version: string;
}

/** File path (relative to the root) => content, for every file of the skeleton. */
export function etcSkeleton(release: OsRelease): ReadonlyMap<string, string> {
  const passwd = USERS.map(([name, id]) => `${name}:x:${id}:${id}:${name}:/:/sbin/nologin\n`).join("");
  const group = USERS.map(([name, id]) => `${name}:x:${id}:\n`).join("");
  const osRelease = [
    'NAME="Bronze"',
    "ID=bronze",
    `VERSION_ID=${release.version}`,
    `VERSION="${release.version}"`,
    `PRETTY_NAME="Bronze (${release.version})"`,
    'HOME_URL="https://github.com/bronze-os/bronze"',
    "",
  ].join("\n");
  return new Map([
    ["etc/passwd", passwd],
    ["etc/group", group],
    ["etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"],
    [
      "etc/nsswitch.conf",
      "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nservices: files\nprotocols: files\n",
    ],
    ["etc/os-release", osRelease],
  ]);
}
