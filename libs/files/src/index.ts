// @bronze/files: writing files safely (atomically, durably, never through a planted link) and writing
// tar archives. Shared by machined, osctl and containerd-client.
export {
  type AtomicWriteFs,
  type AtomicWriteOptions,
  type FileOwner,
  nodeAtomicWriteFs,
  type StagedFile,
  stageFile,
  syncDirectory,
  syncDirectoryAsync,
  writeFileAtomic,
  writeFileAtomicAsync,
} from "./atomic-write.ts";
export { FilesError, type FilesErrorCode } from "./files-error.ts";
export {
  TAR_BLOCK,
  TAR_END,
  type TarEntryType,
  type TarHeaderEntry,
  type TarWriteEntry,
  tarHeader,
  tarPadding,
  writeTar,
} from "./tar-writer.ts";
