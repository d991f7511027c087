// The Bronze release every binary reports. Bumped once per release, in this one place.
export const BRONZE_VERSION = "0.1.0";
