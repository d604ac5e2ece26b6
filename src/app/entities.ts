import { Account } from "../accounts/account.entity";
import { Domain } from "../domains/domain.entity";
import { AuditEntry } from "../audit/audit-entry.entity";
import { ApiKey } from "../api-keys/api-key.entity";
import { Certificate } from "../credentials/certificates/certificate.entity";
import { WebhookEndpoint } from "../webhooks/webhook-endpoint.entity";
import { WebhookDelivery } from "../webhooks/webhook-delivery.entity";

/** Every table dnsproof maps, from the features that own them; migrations/ creates them. */
export const entities: Function[] = [Account, Domain, AuditEntry, ApiKey, Certificate, WebhookEndpoint, WebhookDelivery];
