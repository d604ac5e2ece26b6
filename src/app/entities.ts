import { modules } from "./modules";

/** Every table dnsproof maps, from the features that own them; migrations/ creates them. */
export const entities: Function[] = modules.flatMap((module) => module.entities ?? []);
