import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { IndexRing } from "./_index_ring.ts";

interface Item {
  index: number;
  name: string;
}

describe("IndexRing", () => {
  it("keeps, finds and takes items by index", () => {
    const ring = new IndexRing<Item>();
    ring.set({ index: 5, name: "a" });
    ring.set({ index: 6, name: "b" });
    assert.equal(ring.size, 2);
    assert.equal(ring.get(5)?.name, "a");
    assert.equal(ring.get(7), undefined);
    assert.equal(ring.take(5)?.name, "a");
    assert.equal(ring.take(5), undefined);
    assert.equal(ring.get(5), undefined);
    assert.equal(ring.size, 1);
  });

  it("replaces an item kept under the same index", () => {
    const ring = new IndexRing<Item>();
    ring.set({ index: 9, name: "old" });
    ring.set({ index: 9, name: "new" });
    assert.equal(ring.size, 1);
    assert.equal(ring.get(9)?.name, "new");
  });

  it("does not mistake an index sharing a slot for the one asked", () => {
    const ring = new IndexRing<Item>();
    ring.set({ index: 3, name: "three" });
    assert.equal(ring.get(3 + 1024), undefined);
    assert.equal(ring.take(3 + 1024), undefined);
    assert.equal(ring.size, 1);
  });

  it("grows when indices collide, keeping every item", () => {
    const ring = new IndexRing<Item>();
    const indices = [1, 1 + 1024, 1 + 2048, 1 + 4096 * 8, 70_000, 5];
    for (const index of indices) ring.set({ index, name: String(index) });
    assert.equal(ring.size, indices.length);
    for (const index of indices) assert.equal(ring.get(index)?.name, String(index));
  });

  it("takes everything through an index, in index order", () => {
    const ring = new IndexRing<Item>();
    for (const index of [40, 10, 30, 20, 2000]) ring.set({ index, name: String(index) });
    assert.deepEqual(ring.takeThrough(30).map((item) => item.index), [10, 20, 30]);
    assert.equal(ring.size, 2);
    assert.deepEqual(ring.takeAll().map((item) => item.index), [40, 2000]);
    assert.equal(ring.size, 0);
  });

  it("matches a Map over a long run of consecutive waits", () => {
    const ring = new IndexRing<Item>();
    const model = new Map<number, string>();
    let next = 1;
    let oldest = 1;
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let step = 0; step < 20_000; step++) {
      if (random() < 0.55) {
        const item = { index: next++, name: `n${step}` };
        ring.set(item);
        model.set(item.index, item.name);
      } else if (oldest < next) {
        const index = oldest + Math.floor(random() * Math.min(8, next - oldest));
        assert.equal(ring.take(index)?.name, model.get(index));
        model.delete(index);
        while (oldest < next && !model.has(oldest)) oldest++;
      }
      assert.equal(ring.size, model.size);
    }
    for (const [index, name] of model) assert.equal(ring.get(index)?.name, name);
  });
});
