/**
 * HTTP/2 SETTINGS for Bronze's clients (osctl, apid calling machined or another apid): a stream window
 * of 1 MiB rather than HTTP/2's 64 KiB. The receiver's window bounds what a sender may have in flight:
 * with 64 KiB a log stream waited for a WINDOW_UPDATE every 64 KiB (measured here, one hop: ~280 MiB/s
 * on a unix socket and ~200 MiB/s over TLS with 64 KiB; ~450 and ~315 MiB/s with 1 MiB). It also
 * bounds what an idle reader lets pile up per stream. (Bun's session.setLocalWindowSize, the connection
 * window, stalled streams: it is not used.)
 */
export const HTTP2_CLIENT_SETTINGS = { initialWindowSize: 1024 * 1024 } as const;
