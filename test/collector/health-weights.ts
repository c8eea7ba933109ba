/** Weights a user whose agent depends on its LLM providers might choose (the README's example). */
export const WITH_PROVIDERS = {
  cacheHitRate: 0.3,
  toolSuccess: 0.2,
  cpuHeadroom: 0.05,
  memoryHeadroom: 0.05,
  latencyHeadroom: 0.1,
  providerAvailability: 0.3,
};
