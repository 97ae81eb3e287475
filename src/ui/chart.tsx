/** A uPlot time-series chart that follows its container's width and redraws on new data. */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface SeriesSpec {
  label: string;
  color: string;
  /** Dashed, for a series that often lies on top of another. */
  isDashed?: boolean;
}

interface Props {
  title: string;
  /** Canvas cannot read CSS variables: the chart is redrawn with the theme's colours when it changes. */
  theme: string;
  unit: string;
  series: SeriesSpec[];
  data: Array<Array<number | null>>;
}

export function Chart({ title, theme, unit, series, data }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = box.current!;
    const style = getComputedStyle(element);
    const muted = style.getPropertyValue("--muted").trim() || "#888";
    const grid = style.getPropertyValue("--grid").trim() || "#ddd";
    const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const options: uPlot.Options = {
      width: Math.max(200, element.clientWidth),
      height: 160,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, max ?? 1) * 1.1] } },
      axes: [
        axis,
        { ...axis, size: 50, label: unit, labelSize: 14 },
      ],
      series: [{}, ...series.map((spec) => ({ label: spec.label, stroke: spec.color, width: 1.5, dash: spec.isDashed ? [5, 4] : undefined, spanGaps: false, points: { show: false } }))],
    };
    plot.current = new uPlot(options, data as uPlot.AlignedData, element);
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, element.clientWidth), height: 160 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [theme, series.map((spec) => spec.label).join()]);

  useEffect(() => plot.current?.setData(data as uPlot.AlignedData), [data]);

  return (
    <figure class="chart" data-points={data[0]?.length ?? 0} data-testid={`chart-${title}`}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
