'use client';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'react';

// Only the pieces used, so the bundle stays small.
Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface UsageSeries {
  label: string;
  days: string[];
  values: number[];
  /** The tier's allowance per day, drawn as a line. */
  limit: number;
  color: string;
}

export function UsageChart({ series, title }: { series: UsageSeries; title: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: series.days,
        datasets: [
          { type: 'bar', label: series.label, data: series.values, backgroundColor: series.color, borderRadius: 4 },
          { type: 'line', label: 'Tier limit per day', data: series.days.map(() => series.limit), borderColor: '#b42318', borderDash: [6, 4], pointRadius: 0, borderWidth: 2 },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true }, x: { ticks: { maxRotation: 0, autoSkip: true } } },
        plugins: { legend: { position: 'bottom' } },
      },
    });
    return () => chart.destroy();
  }, [series]);
  const total = series.values.reduce((a, b) => a + b, 0);
  return (
    <figure className="card" style={{ margin: 0 }}>
      <h2>{title}</h2>
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={`${title}: ${total} in the last ${series.days.length} days; tier limit ${series.limit} per day`} />
      </div>
      <figcaption className="hint">
        {total.toLocaleString()} in {series.days.length} days · limit {series.limit.toLocaleString()} per day
      </figcaption>
    </figure>
  );
}
