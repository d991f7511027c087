export {
  type CertificateAndKey,
  DEFAULT_CA_VALIDITY_DAYS,
  type GenerateCAOptions,
  generateCA,
} from "./certificate-authority.ts";
export { type CertificateFacts, readCertificateFacts } from "./certificate-facts.ts";
export type { CertificateUsage } from "./certificate-usage.ts";
export { type ClientCertificateOptions, issueClientCertificate } from "./client-certificate.ts";
export { type CreateCSROptions, createCSR } from "./csr.ts";
export { type CertificateInfo, inspectCertificate } from "./inspect-certificate.ts";
export { formatIpAddress, type IpAddress, parseIpAddress } from "./ip-address.ts";
export {
  DEFAULT_LEAF_VALIDITY_DAYS,
  type IssueCertificateOptions,
  issueCertificate,
} from "./issue-certificate.ts";
export { generateKeyPair, type KeyAlgorithm, type KeyPair } from "./key-pair.ts";
export { parseSecretsBundle } from "./parse-secrets-bundle.ts";
export { decodePemBase64, encodePem, encodePemBase64 } from "./pem.ts";
export { PkiError, type PkiErrorCode, type PkiProblem } from "./pki-error.ts";
export {
  BUNDLE_CA_NAMES,
  type GenerateSecretsBundleOptions,
  generateSecretsBundle,
  type SecretsBundle,
  stringifySecretsBundle,
} from "./secrets-bundle.ts";
export { type SignCSROptions, signCSR } from "./sign-csr.ts";
export {
  BOOTSTRAP_TOKEN_PATTERN,
  generateBootstrapToken,
  generateRandomSecret,
  isBootstrapToken,
} from "./tokens.ts";
export { DEFAULT_BACKDATE_SECONDS } from "./validity-window.ts";
export { verifyCertificate } from "./verify-certificate.ts";
