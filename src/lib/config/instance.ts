/** Name of the one EdgeConfig Durable Object instance that holds the config document. */
export const EDGE_CONFIG_INSTANCE = "global";
