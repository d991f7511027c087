// Unpacks an image's layers into a snapshotter, the way containerd's own client does: one
// committed snapshot per layer, named by its chain id, each applied by the Diff service.
import type { ContentApi } from "./content.ts";
import type { DiffApi } from "./diff.ts";
import { ContainerdError, isContainerdError } from "./errors.ts";
import { chainIds, type ImageConfig, type ImageManifest } from "./image-spec.ts";
import type { SnapshotsApi } from "./snapshots.ts";

export const GC_SNAPSHOT_LABEL_PREFIX = "containerd.io/gc.ref.snapshot.";
export const UNCOMPRESSED_LABEL = "containerd.io/uncompressed";

export interface UnpackDeps {
  content: ContentApi;
  diff: DiffApi;
  snapshots: SnapshotsApi;
}

/** Returns the chain id of the top layer (the parent of a container's snapshot). */
export async function unpackLayers(
  deps: UnpackDeps,
  manifest: ImageManifest,
  config: ImageConfig,
  options: { snapshotter: string; lease?: string; imageName: string },
): Promise<string> {
  const diffIds = config.rootfs.diff_ids;
  const op = `unpack ${options.imageName}`;
  if (diffIds.length !== manifest.layers.length)
    throw new ContainerdError(
      "InvalidArgument",
      op,
      `the manifest has ${manifest.layers.length} layers but the config lists ${diffIds.length} diff ids`,
    );
  if (diffIds.length === 0) throw new ContainerdError("InvalidArgument", op, "the image has no layers");
  const chain = chainIds(diffIds);
  const snap = { snapshotter: options.snapshotter, lease: options.lease };
  let parent = "";
  for (const [i, layer] of manifest.layers.entries()) {
    const chainId = chain[i] as string;
    const diffId = diffIds[i] as string;
    const exists = await deps.snapshots.stat(chainId, snap).then(
      () => true,
      (e) => {
        if (isContainerdError(e, "NotFound")) return false;
        throw e;
      },
    );
    if (!exists) {
      const key = `extract-${crypto.randomUUID()}-${chainId}`;
      const mounts = await deps.snapshots.prepare(key, parent, {
        ...snap,
        labels: { "containerd.io/snapshot.ref": chainId },
      });
      try {
        const applied = await deps.diff.apply(layer, mounts);
        if (applied.digest !== diffId)
          throw new ContainerdError(
            "InvalidArgument",
            op,
            `layer ${i} (${layer.digest}) unpacks to ${applied.digest}, but the config says ${diffId}`,
          );
        await deps.snapshots.commit(chainId, key, snap);
      } catch (e) {
        await deps.snapshots.remove(key, snap).catch(() => {});
        // Another unpack of the same layer won the race: its snapshot is as good as ours.
        if (!isContainerdError(e, "AlreadyExists")) throw e;
      }
    }
    if (layer.digest !== diffId) await deps.content.setLabels(layer.digest, { [UNCOMPRESSED_LABEL]: diffId });
    parent = chainId;
  }
  await deps.content.setLabels(manifest.config.digest, {
    [`${GC_SNAPSHOT_LABEL_PREFIX}${options.snapshotter}`]: parent,
  });
  return parent;
}
