// Lot quantity over time (uPlot): min/max band and last value per server-side bucket, the receipt
// quantity as a threshold line, and events (alerts, attestations, releases) as vertical markers.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Series } from '../types.js';

const TONNE = 1_000_000;

export function QuantityChart({ series }: { series: Series }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = host.current;
    if (!element) return;
    const xs = series.points.map((p) => p.tMs / 1000);
    const receipt = series.thresholds.receiptGrams;
    const receiptTonnes =
      receipt === null || receipt === undefined ? null : Number(receipt) / TONNE;
    const data: uPlot.AlignedData = [
      xs,
      series.points.map((p) => Number(p.minGrams) / TONNE),
      series.points.map((p) => Number(p.maxGrams) / TONNE),
      series.points.map((p) => Number(p.lastGrams) / TONNE),
      xs.map(() => receiptTonnes),
    ];
    const events = series.events;
    const width = () => Math.max(280, element.clientWidth);
    const plot = new uPlot(
      {
        width: width(),
        height: 320,
        scales: { x: { time: true } },
        series: [
          {},
          { label: 'min t', stroke: '#7aa7d9', width: 1 },
          { label: 'max t', stroke: '#7aa7d9', width: 1 },
          { label: 'last t', stroke: '#1d4f91', width: 2 },
          { label: 'receipt t', stroke: '#c0392b', dash: [6, 4], width: 1.5 },
        ],
        bands: [{ series: [2, 1], fill: 'rgba(122,167,217,0.25)' }],
        axes: [{}, { label: 'tonnes', size: 70 }],
        hooks: {
          draw: [
            (u) => {
              const ctx = u.ctx;
              ctx.save();
              for (const event of events) {
                const x = u.valToPos(event.tMs / 1000, 'x', true);
                if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
                ctx.strokeStyle =
                  event.kind.includes('alert') || event.kind === 'tamper' ? '#c0392b' : '#8e44ad';
                ctx.lineWidth = 1;
                ctx.beginPath();
                ctx.moveTo(x, u.bbox.top);
                ctx.lineTo(x, u.bbox.top + u.bbox.height);
                ctx.stroke();
              }
              ctx.restore();
              if (performance.getEntriesByName('pg-lot-chart-ready').length === 0) {
                performance.mark('pg-lot-chart-ready');
              }
              element.dataset.drawn = String(series.points.length);
            },
          ],
        },
      },
      data,
      element,
    );
    const onResize = () => plot.setSize({ width: width(), height: 320 });
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      plot.destroy();
    };
  }, [series]);
  return <div class="chart" ref={host} data-testid="chart" />;
}
