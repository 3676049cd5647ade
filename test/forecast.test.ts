import { describe, expect, it } from 'vitest';
import {
  confidenceWithin, forecast, paceBeyondForecast, samplesFor, samplesForLike, type ForecastInput,
} from '../src/bisect/forecast.js';

// The koajs/router trial: requests/s at 24% noise a sample, a 31% step, threshold and minimum step 17%.
const http: ForecastInput = {
  cv: 0.24, delta: 0.31, threshold: 0.171, alpha: 0.002, minStep: 0.171, beta: 0.05,
  verdicts: 4, secondsPerRun: 2.9, secondsPerBuild: 0, minSamples: 5, maxSamples: 60,
};

describe('what the noise will cost', () => {
  it('prices the strict half of a verdict: unlike the other reference', () => {
    const small = { ...http, delta: 0.2 };
    const strict = samplesFor(small.delta, small);
    expect(strict).toBeGreaterThan(samplesForLike(small));
    expect(forecast(small).samplesForThisStep).toBe(strict);
    // Every verdict takes at least that many target runs and as many of the references.
    expect(forecast(small).minutes).toBeGreaterThanOrEqual((4 * 2 * strict * 2.9) / 60);
  });

  it('and the lenient half, where a large step is easy to place but a further step is hard to rule out', () => {
    const large = { ...http, delta: 1.0, threshold: 0.05, minStep: 0.15 };
    const like = samplesForLike(large);
    expect(like).toBeGreaterThan(samplesFor(large.delta, large));
    expect(forecast(large).samplesForThisStep).toBe(like);
    // Side first, a commit clearly on one side is not asked the lenient question: the strict half is left.
    expect(forecast({ ...large, sideFirst: true }).samplesForThisStep).toBe(samplesFor(large.delta, large));
  });

  it('a large step at low noise costs the fewest samples that can decide', () => {
    const quiet = { ...http, cv: 0.02, delta: 1.4, threshold: 0.05, minStep: 0.175 };
    expect(forecast(quiet).samplesForThisStep).toBeLessThanOrEqual(5);
    expect(forecast(quiet).runsPerVerdict).toBe(7);
  });

  it('fits a budget by the highest confidence whose forecast fits, none when even 50% does not', () => {
    // A step small against the noise: the strict half, which the confidence prices, is the larger one.
    const at = (c: number) => forecast({ ...http, delta: 0.2, alpha: (http.alpha * (1 - c)) / 0.05 });
    const all = at(0.95).minutes;
    expect(confidenceWithin(all + 0.01, 0.95, at)).toBe(0.95);
    expect(confidenceWithin(all * 0.8, 0.95, at)).toBeLessThan(0.95);
    expect(confidenceWithin(0.01, 0.95, at)).toBeUndefined();
  });

  it('says the forecast again at the verdicts own pace only where it is far off, and a few times at most', () => {
    const at = (verdicts: number, seconds: number, verdictsLeft: number, said?: number) =>
      paceBeyondForecast({ verdicts, seconds, verdictsLeft, forecastSeconds: 60, forecastVerdicts: 9, said });
    // 3 verdicts in 120 s, 6 to come: 360 s in all against 60 s forecast.
    expect(at(3, 120, 6)).toEqual({
      verdicts: 3, seconds: 120, verdictsLeft: 6, secondsLeft: 240, forecastSeconds: 60, forecastVerdicts: 9,
    });
    expect(at(1, 120, 6)).toBeUndefined(); // one verdict (a slow build) is no pace
    expect(at(3, 30, 6)).toBeUndefined(); // on time
    expect(at(3, 120, 0)).toBeUndefined(); // nothing left to say it for
    // Twice the forecast, but only a minute more: not worth a line.
    const near = { verdicts: 2, seconds: 20, verdictsLeft: 2, forecastSeconds: 15, forecastVerdicts: 4 };
    expect(paceBeyondForecast(near)).toBeUndefined();
    // Said at 360 s: again only once the estimate grew by half as much again.
    expect(at(4, 200, 5, 360)).toBeUndefined(); // 450 s
    expect(at(4, 240, 5, 360)?.secondsLeft).toBe(300); // 540 s
  });
});
