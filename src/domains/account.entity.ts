import { Column, Entity, PrimaryColumn } from "typeorm";

/**
 * One row per account that has ever claimed. Claims lock it first, so concurrent
 * claims of one account run one after another and the per-account limit holds.
 */
@Entity("accounts")
export class Account {
  @PrimaryColumn({ type: "varchar", length: 191 })
  id!: string;

  @Column({ type: "datetime", precision: 3 })
  createdAt!: Date;
}
