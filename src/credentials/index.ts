import type { CredentialsHttp } from "./http";
import type { CredentialServices } from "./module";

export { credentialsModule, type CredentialServices } from "./module";

/** Everything credentials bring to a server: the services and their HTTP side. */
export type Credentials = CredentialServices & CredentialsHttp;
