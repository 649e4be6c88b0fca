/** The gavel version recorded in every run manifest. Keep in step with the root package.json. */
export const GAVEL_VERSION = '0.1.0';
