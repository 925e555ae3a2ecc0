export const RULES = []
