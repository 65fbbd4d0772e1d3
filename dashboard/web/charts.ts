/**
 * ECharts, with only the chart types and components the pages use (a smaller bundle), and
 * the US states map from us-atlas (pre-projected Albers USA, so Alaska and Hawaii sit inset).
 */
import { BarChart, LineChart, MapChart, PieChart } from "echarts/charts";
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
} from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import type { FeatureCollection, Geometry, Position } from "geojson";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import states from "us-atlas/states-albers-10m.json" with { type: "json" };

echarts.use([
  BarChart,
  LineChart,
  MapChart,
  PieChart,
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  TooltipComponent,
  VisualMapComponent,
  CanvasRenderer,
]);

export type ChartOption = echarts.EChartsCoreOption;

export interface Chart {
  setOption(option: ChartOption, settings?: echarts.SetOptionOpts): void;
}

/**
 * A chart in a new element of `host`. ECharts measures its element when it starts, so it
 * starts at the first option — by then the page has put `host` in the document.
 */
export function chart(host: HTMLElement, className = "chart"): Chart {
  const div = document.createElement("div");
  div.className = className;
  host.append(div);
  let instance: echarts.ECharts | undefined;
  return {
    setOption(option, settings) {
      if (!instance) {
        const started = echarts.init(div);
        window.addEventListener("resize", () => started.resize());
        instance = started;
      }
      instance.setOption(option, settings);
    },
  };
}

let mapRegistered = false;

/** Registers the map "us-states" (feature names are full state names, e.g. "California"). */
export function registerStatesMap(): string {
  if (!mapRegistered) {
    const topology = states as unknown as Topology<{ states: GeometryCollection<{ name: string }> }>;
    const collection = feature(topology, topology.objects.states) as FeatureCollection<
      Geometry,
      { name: string }
    >;
    // The Albers coordinates grow downwards like the screen; ECharts' geo grows upwards.
    const flipped = {
      ...collection,
      features: collection.features
        .filter((f) => f.geometry !== null)
        .map((f) => ({ ...f, geometry: flip(f.geometry) })),
    } as FeatureCollection<Geometry, { name: string }>;
    echarts.registerMap("us-states", flipped as unknown as Parameters<typeof echarts.registerMap>[1]);
    mapRegistered = true;
  }
  return "us-states";
}

function flip(geometry: Geometry): Geometry {
  const ring = (r: Position[]) => r.map(([x = 0, y = 0]) => [x, -y]);
  if (geometry.type === "Polygon") return { ...geometry, coordinates: geometry.coordinates.map(ring) };
  if (geometry.type === "MultiPolygon")
    return { ...geometry, coordinates: geometry.coordinates.map((p) => p.map(ring)) };
  return geometry;
}
