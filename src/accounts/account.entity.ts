import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * One row per account that has ever claimed a domain, created an API key or a webhook
 * endpoint. Changes a per-account limit guards lock it first (Accounts.locked), so those of
 * one account run one after another and the limit holds.
 */
@Entity("accounts")
export class Account {
  @PrimaryColumn({ type: "varchar", length: 191 })
  id!: string;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;

  /**
   * Bumped by every change that holds the account: on a multi-primary cluster only rows a
   * transaction writes are certified across nodes, so the write is what makes two nodes' changes
   * of one account conflict.
   */
  @Column({ type: "integer", default: 0 })
  version!: number;
}
