// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** `o` for an options object says nothing to a reader of the module: name it for what it holds. */
const vagueName = (name) => [
  `:function > Identifier.params[name='${name}']`,
  `:function > AssignmentPattern.params > Identifier.left[name='${name}']`,
  `TSParameterProperty > Identifier.parameter[name='${name}']`,
  `PropertyDefinition > Identifier.key[name='${name}']`,
  `MemberExpression[object.type='ThisExpression'] > Identifier.property[name='${name}']`,
  `TSPropertySignature > Identifier.key[name='${name}']`,
  `VariableDeclarator > Identifier.id[name='${name}']`,
  `ObjectPattern > Property > Identifier.value[name='${name}']`,
].map((selector) => ({ selector, message: `Name '${name}' for what it holds (options, the check, the run...).` }));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '**/fixtures/**/node_modules/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,js,mjs,cjs}'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      'max-len': ['error', {
        code: 120, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true,
      }],
      '@typescript-eslint/no-unused-vars': ['error', {
        argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true,
      }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    files: ['test/**/*.{ts,tsx}'],
    rules: {
      // Tests match terminal escapes and control characters on purpose, and walk untyped YAML and manifests.
      'no-control-regex': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  // Modules others read: the source. Tests and benchmarks may keep short names for throwaway values.
  { files: ['src/**/*.{ts,tsx}'], rules: { 'no-restricted-syntax': ['error', ...vagueName('o')] } },
);
