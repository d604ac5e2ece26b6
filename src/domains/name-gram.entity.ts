import { Entity, Index, PrimaryColumn } from "typeorm";

/**
 * The three-letter pieces of a claim's ASCII name, so the admin search for "names containing
 * this text" reads the claims that hold its rarest piece instead of every claim. A B-tree index
 * cannot answer a substring; a trigram index can, and MariaDB has none built in.
 */
@Entity("domain_name_grams")
@Index("IDX_domain_name_grams_domain", ["domainId"])
export class DomainNameGram {
  @PrimaryColumn({ type: "varchar", length: 3 })
  gram!: string;

  @PrimaryColumn({ type: "varchar", length: 36 })
  domainId!: string;
}
