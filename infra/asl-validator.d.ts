/** Types for asl-validator 4 (the package ships none). */
declare module "asl-validator" {
  interface ValidationResult {
    isValid: boolean;
    errors: { message: string }[];
    errorsText: (separator?: string) => string;
  }
  export default function aslValidator(
    definition: unknown,
    options?: Record<string, unknown>,
  ): ValidationResult;
}
