import { afterAll } from 'vitest';
import { removeTempDirs } from '../fixtures/repo.js';

// Registered before the file's own hooks, so it runs after them: servers and runs are stopped first.
afterAll(removeTempDirs);
