// Domain types the lib's callers see. Generated protobuf types never leave the lib.

/** A content-addressed blob reference (OCI descriptor). */
export interface Descriptor {
  mediaType: string;
  /** `sha256:<hex>` */
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** A mount, as snapshotters return them and tasks receive them for their rootfs. */
export interface Mount {
  type: string;
  source: string;
  target?: string;
  options: string[];
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export type Labels = Record<string, string>;

/** An image record of containerd's image store. */
export interface ImageInfo {
  name: string;
  target: Descriptor;
  labels: Labels;
  createdAt?: Date;
  updatedAt?: Date;
}
