// Whether this test process may do what only root may (chown, /dev/kmsg, mounts): a unit test file
// (no root) skips its few tests that need it, saying so in their names.

/** True when the tests run as root (uid 0). */
export function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}
