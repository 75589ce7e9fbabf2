// The mouth animation's per-frame pixel work: a piecewise-affine (triangle-mesh) warp over
// the 68 landmarks that opens the jaw and lower lip, plus the mouth interior. Always built
// at -O2 (see Package.swift): a Swift debug build is far too slow for pixel loops.
#include "CFaceLandmarks.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

namespace {

struct V2 {
    double x, y;
};
inline V2 operator+(V2 a, V2 b) { return {a.x + b.x, a.y + b.y}; }
inline V2 operator-(V2 a, V2 b) { return {a.x - b.x, a.y - b.y}; }
inline V2 operator*(V2 a, double s) { return {a.x * s, a.y * s}; }

using Tri = std::array<int, 3>;

// Bowyer-Watson Delaunay triangulation; n is ~90, so O(n^2) is nothing.
std::vector<Tri> delaunay(const std::vector<V2> &pts) {
    double minx = 1e30, miny = 1e30, maxx = -1e30, maxy = -1e30;
    for (auto p : pts) {
        minx = std::min(minx, p.x); miny = std::min(miny, p.y);
        maxx = std::max(maxx, p.x); maxy = std::max(maxy, p.y);
    }
    const double d = std::max(maxx - minx, maxy - miny) * 20 + 10;
    const double cx = (minx + maxx) / 2, cy = (miny + maxy) / 2;
    std::vector<V2> all = pts;
    const int n = (int)pts.size();
    all.push_back({cx - d, cy - d});
    all.push_back({cx + d, cy - d});
    all.push_back({cx, cy + d});
    struct T {
        Tri v;
        double ccx, ccy, r2;
    };
    auto make = [&](int a, int b, int c) {
        const V2 A = all[a], B = all[b], C = all[c];
        const double dd = 2 * (A.x * (B.y - C.y) + B.x * (C.y - A.y) + C.x * (A.y - B.y));
        T t{{a, b, c}, 0, 0, -1};
        if (std::fabs(dd) < 1e-12) return t;
        const double a2 = A.x * A.x + A.y * A.y, b2 = B.x * B.x + B.y * B.y, c2 = C.x * C.x + C.y * C.y;
        t.ccx = (a2 * (B.y - C.y) + b2 * (C.y - A.y) + c2 * (A.y - B.y)) / dd;
        t.ccy = (a2 * (C.x - B.x) + b2 * (A.x - C.x) + c2 * (B.x - A.x)) / dd;
        t.r2 = (A.x - t.ccx) * (A.x - t.ccx) + (A.y - t.ccy) * (A.y - t.ccy);
        return t;
    };
    std::vector<T> tris{make(n, n + 1, n + 2)};
    std::vector<std::array<int, 2>> edges;
    for (int i = 0; i < n; ++i) {
        const V2 p = all[i];
        edges.clear();
        std::vector<T> keep;
        keep.reserve(tris.size() + 4);
        for (const auto &t : tris) {
            const double dx = p.x - t.ccx, dy = p.y - t.ccy;
            if (t.r2 >= 0 && dx * dx + dy * dy <= t.r2) {
                edges.push_back({t.v[0], t.v[1]});
                edges.push_back({t.v[1], t.v[2]});
                edges.push_back({t.v[2], t.v[0]});
            } else {
                keep.push_back(t);
            }
        }
        for (size_t e = 0; e < edges.size(); ++e) {
            bool shared = false;
            for (size_t f = 0; f < edges.size(); ++f) {
                if (e != f && ((edges[e][0] == edges[f][1] && edges[e][1] == edges[f][0]) ||
                               (edges[e][0] == edges[f][0] && edges[e][1] == edges[f][1]))) {
                    shared = true;
                    break;
                }
            }
            if (!shared) keep.push_back(make(edges[e][0], edges[e][1], i));
        }
        tris.swap(keep);
    }
    std::vector<Tri> out;
    for (const auto &t : tris) {
        if (t.v[0] >= n || t.v[1] >= n || t.v[2] >= n) continue;
        out.push_back(t.v);
    }
    return out;
}

struct Plane {
    uint8_t *data;
    int width, height, stride;
};

// A copy of the region of a plane the warp reads from, so writes never feed later reads.
struct Source {
    std::vector<uint8_t> pixels;
    int x0 = 0, y0 = 0, w = 0, h = 0;
    inline double at(int x, int y) const {
        x = std::min(std::max(x, x0), x0 + w - 1);
        y = std::min(std::max(y, y0), y0 + h - 1);
        return pixels[(size_t)(y - y0) * w + (x - x0)];
    }
    double bilinear(double x, double y) const {
        const double fx = std::floor(x), fy = std::floor(y);
        const int ix = (int)fx, iy = (int)fy;
        const double ax = x - fx, ay = y - fy;
        const double top = at(ix, iy) * (1 - ax) + at(ix + 1, iy) * ax;
        const double bottom = at(ix, iy + 1) * (1 - ax) + at(ix + 1, iy + 1) * ax;
        return top * (1 - ay) + bottom * ay;
    }
};

inline uint8_t clamp8(double v) { return (uint8_t)std::min(255.0, std::max(0.0, std::lround(v) * 1.0)); }

// clamp8 for a value already within 0...255 (a blend of pixels), without a libm call.
inline uint8_t round8(double v) { return (uint8_t)std::min(255, (int)(v + 0.5)); }

// y of a polyline (points in increasing x, roughly) at x; false outside its x range.
bool polyline_y(const V2 *pts, int count, double x, double &y, double *slope = nullptr) {
    for (int i = 0; i + 1 < count; ++i) {
        const double xa = pts[i].x, xb = pts[i + 1].x;
        const double lo = std::min(xa, xb), hi = std::max(xa, xb);
        if (x < lo || x > hi) continue;
        const double t = hi - lo < 1e-6 ? 0.5 : (x - xa) / (xb - xa);
        y = pts[i].y + (pts[i + 1].y - pts[i].y) * t;
        if (slope) *slope = hi - lo < 1e-6 ? 1e3 : (pts[i + 1].y - pts[i].y) / (xb - xa);
        return true;
    }
    return false;
}

// The lower inner lip's y in each column of a plane (NAN where the lip does not reach):
// the lower-lip layer writes only below it, and a column lookup per pixel would cost more
// than the pixel.
struct LipLine {
    int x0 = 0;
    std::vector<double> ys;
    LipLine(const V2 *pts, int count, int first, int last) : x0(first) {
        for (int x = first; x <= last; ++x) {
            double y;
            ys.push_back(polyline_y(pts, count, x, y) ? y : NAN);
        }
    }
    // False where the lip does not reach column x (NAN compares false).
    bool below(int x, int y) const { return x >= x0 && x - x0 < (int)ys.size() && y > ys[x - x0]; }
};

// A pixel belongs to a triangle when its three barycentric weights are all at least this:
// a hair of overlap on shared edges, so no seam.
constexpr double kInside = -1e-6;

// Narrows [lo, hi] to where the weight a*x + b (one row's) is inside.
inline void clip_span(double a, double b, double &lo, double &hi) {
    if (a > 1e-12) lo = std::max(lo, (kInside - b) / a);
    else if (a < -1e-12) hi = std::min(hi, (kInside - b) / a);
    else if (b < kInside) hi = lo - 1;
}

// Draws the destination triangle `d` of one affine piece, sampling `src` through the
// matching source triangle `s`. `lip` (if set) limits writes to pixels below that line: the
// lower-lip layer. The weights and the source position are affine in x and y, so each row
// is one span computed up front, not a bounding box tested pixel by pixel.
void raster_triangle(const Plane &plane, const Source &src, const V2 d[3], const V2 s[3], const LipLine *lip) {
    const double miny = std::min({d[0].y, d[1].y, d[2].y}), maxy = std::max({d[0].y, d[1].y, d[2].y});
    const double minx = std::min({d[0].x, d[1].x, d[2].x}), maxx = std::max({d[0].x, d[1].x, d[2].x});
    const int y0 = std::max(0, (int)std::floor(miny)), y1 = std::min(plane.height - 1, (int)std::ceil(maxy));
    const int xa = std::max(0, (int)std::floor(minx)), xb = std::min(plane.width - 1, (int)std::ceil(maxx));
    const double den = (d[1].y - d[2].y) * (d[0].x - d[2].x) + (d[2].x - d[1].x) * (d[0].y - d[2].y);
    if (std::fabs(den) < 1e-9) return;
    // w0 = a0 x + b0 y + c0, w1 likewise, w2 = 1 - w0 - w1.
    const double a0 = (d[1].y - d[2].y) / den, b0 = (d[2].x - d[1].x) / den, c0 = -(a0 * d[2].x + b0 * d[2].y);
    const double a1 = (d[2].y - d[0].y) / den, b1 = (d[0].x - d[2].x) / den, c1 = -(a1 * d[2].x + b1 * d[2].y);
    // The source position, affine too.
    const double ux = (s[0].x - s[2].x) * a0 + (s[1].x - s[2].x) * a1, vx = (s[0].x - s[2].x) * b0 + (s[1].x - s[2].x) * b1;
    const double tx = (s[0].x - s[2].x) * c0 + (s[1].x - s[2].x) * c1 + s[2].x;
    const double uy = (s[0].y - s[2].y) * a0 + (s[1].y - s[2].y) * a1, vy = (s[0].y - s[2].y) * b0 + (s[1].y - s[2].y) * b1;
    const double ty = (s[0].y - s[2].y) * c0 + (s[1].y - s[2].y) * c1 + s[2].y;
    for (int y = y0; y <= y1; ++y) {
        const double r0 = b0 * y + c0, r1 = b1 * y + c1;
        double lo = xa, hi = xb;
        clip_span(a0, r0, lo, hi);
        clip_span(a1, r1, lo, hi);
        clip_span(-a0 - a1, 1 - r0 - r1, lo, hi);
        if (hi < lo) continue;
        uint8_t *row = plane.data + (size_t)y * plane.stride;
        const double sxRow = vx * y + tx, syRow = vy * y + ty;
        for (int x = (int)std::ceil(lo), last = (int)std::floor(hi); x <= last; ++x) {
            if (lip && !lip->below(x, y)) continue;
            row[x] = round8(src.bilinear(sxRow + ux * x, syRow + uy * x));
        }
    }
}

inline double smooth(double e0, double e1, double v) {
    const double t = std::min(1.0, std::max(0.0, (v - e0) / (e1 - e0)));
    return t * t * (3 - 2 * t);
}

// Indices of the mesh: landmarks 0-59 (outer lips included, inner lips left out because
// upper and lower coincide when the mouth is closed), then the lower inner lip (67, 66,
// 65: the "lip line" where the layers part), then anchors.
constexpr int kLipLine = 60;
constexpr int kAnchors = 63;
constexpr int kAnchorCount = 20;

// How far each landmark moves, as a fraction of the opening along the nose-to-chin axis.
double landmark_factor(int i) {
    switch (i) {
    case 4: case 12: return 0.3;
    case 5: case 11: return 0.45;
    case 6: case 10: return 0.65;
    case 7: case 9: return 0.85;
    case 8: return 1.0;
    case 48: case 54: case 60: case 64: return 0.25;
    case 49: case 50: case 51: case 52: case 53: case 61: case 62: case 63: return -0.08;
    case 55: case 59: return 0.55;
    case 56: case 58: case 65: case 67: return 0.8;
    case 57: case 66: return 0.9;
    default: return 0;
    }
}

struct Mesh {
    std::vector<V2> src, dstUpper, dstLower;
    std::vector<Tri> tris;
    V2 upperInner[5], lowerInner[5];        // destination inner-lip polylines (left to right)
    V2 upperInnerSrc[5], lowerInnerSrc[5];  // the same in the source
};

Mesh build_mesh(const cfl_point *lm, double open) {
    Mesh m;
    V2 p[68];
    for (int i = 0; i < 68; ++i) p[i] = {lm[i].x, lm[i].y};
    const V2 axisRaw = p[8] - p[27];
    const double L = std::max(1.0, std::hypot(axisRaw.x, axisRaw.y));
    const V2 a = axisRaw * (1 / L), nrm{-a.y, a.x};
    auto move = [&](V2 q, double f) { return q + a * (f * open); };

    for (int i = 0; i < 60; ++i) m.src.push_back(p[i]);
    // The lower inner lip is where the two layers part: the upper layer keeps it near the
    // upper lip, the lower layer carries it down with the jaw, so the lower lip is moved
    // whole rather than stretched.
    for (int i : {67, 66, 65}) m.src.push_back(p[i]);
    // Fixed anchors on an ellipse around the face and well below the chin: the neck and
    // the background stay where they are.
    const V2 c = p[27] + a * (0.55 * L);
    double half = 0;
    for (int i = 0; i <= 16; ++i) {
        const V2 d = p[i] - c;
        half = std::max(half, std::fabs(d.x * nrm.x + d.y * nrm.y));
    }
    half = half * 1.35 + 0.1 * L;
    const double tall = 1.2 * L;
    for (int k = 0; k < kAnchorCount; ++k) {
        const double t = 2 * M_PI * k / kAnchorCount;
        m.src.push_back(c + nrm * (half * std::cos(t)) + a * (tall * std::sin(t)));
    }
    m.dstUpper = m.src;
    for (int i = 0; i < 60; ++i) m.dstUpper[i] = move(p[i], landmark_factor(i));
    m.dstLower = m.dstUpper;
    const double lowerFactor[3] = {0.8, 0.9, 0.8};
    for (int k = 0; k < 3; ++k) {
        m.dstUpper[kLipLine + k] = move(m.src[kLipLine + k], -0.08);
        m.dstLower[kLipLine + k] = move(m.src[kLipLine + k], lowerFactor[k]);
    }
    m.tris = delaunay(m.src);
    const int up[5] = {60, 61, 62, 63, 64}, low[5] = {60, 67, 66, 65, 64};
    for (int k = 0; k < 5; ++k) {
        m.upperInnerSrc[k] = p[up[k]];
        m.lowerInnerSrc[k] = p[low[k]];
        m.upperInner[k] = move(p[up[k]], landmark_factor(up[k]));
        m.lowerInner[k] = move(p[low[k]], landmark_factor(low[k]));
    }
    return m;
}

inline bool moved(V2 a, V2 b) { return std::fabs(a.x - b.x) + std::fabs(a.y - b.y) > 1e-3; }

// The interior's value in one plane: at the lips, and deepest in (the throat).
struct Shade {
    double lips, throat;
    bool luma;
};

// The opened mouth between the destination inner lips, in one plane. The upper teeth of
// the source (whatever is bright between its inner lips) stay their size and hang from the
// upper lip, as real upper teeth do; below them the mouth darkens from the lips' shade
// towards the throat's in the middle.
void fill_interior(const Plane &plane, const Mesh &m, double scale, Shade shade, const Source &src, cfl_face *drawn) {
    const double lx = std::min(m.upperInner[0].x, m.lowerInner[0].x);
    const double rx = std::max(m.upperInner[4].x, m.lowerInner[4].x);
    const double feather = scale < 1 ? 1.0 : 1.6;
    for (int x = std::max(0, (int)std::floor(lx)); x <= std::min(plane.width - 1, (int)std::ceil(rx)); ++x) {
        double top, bottom, stop, sbottom;
        double topSlope = 0, bottomSlope = 0;
        if (!polyline_y(m.upperInner, 5, x, top, &topSlope) || !polyline_y(m.lowerInner, 5, x, bottom, &bottomSlope)) continue;
        // Vertical distances to a slanted edge, turned into distances across it: an even feather.
        const double topScale = 1 / std::sqrt(1 + topSlope * topSlope);
        const double bottomScale = 1 / std::sqrt(1 + bottomSlope * bottomSlope);
        // The detected inner lip tends to sit a little inside the real one: cover the rim.
        bottom += 1.5 * scale;
        const double gap = bottom - top;
        if (gap <= 0) continue;
        const double srcGap = polyline_y(m.upperInnerSrc, 5, x, stop) && polyline_y(m.lowerInnerSrc, 5, x, sbottom)
                                  ? sbottom - stop : 0;
        const double edgeFade = smooth(0, 2.5 * scale, gap);
        for (int y = std::max(0, (int)std::floor(top)); y <= std::min(plane.height - 1, (int)std::ceil(bottom)); ++y) {
            const double inside = std::min((y - top) * topScale, (bottom - y) * bottomScale);
            const double alpha = smooth(-feather * 0.5, feather, inside) * edgeFade;
            if (alpha <= 0) continue;
            // 0 at either lip, 1 halfway between them: the throat.
            const double depth = smooth(0, 1, 2 * std::min(y - top, bottom - y) / gap);
            double value = shade.lips + (shade.throat - shade.lips) * depth;
            const double fromTop = y - top;
            if (srcGap > 2 * scale && fromTop < srcGap) {
                const double sv = src.bilinear(x, stop + fromTop);
                // Teeth are bright in luma and near neutral in chroma; the source's own dark
                // mouth gives way to the new interior.
                double keep = shade.luma ? smooth(105, 160, sv) : 0.85 * (1 - smooth(6, 20, std::fabs(sv - 128)));
                keep *= 1 - smooth(srcGap - 1.5 * scale, srcGap, fromTop);
                value = value * (1 - keep) + sv * keep;
            }
            uint8_t &px = plane.data[(size_t)y * plane.stride + x];
            px = clamp8(px * (1 - alpha) + value * alpha);
            if (drawn) {
                if (drawn->width == 0) *drawn = cfl_face{x, y, 1, 1, 0};
                const int dx0 = std::min(drawn->x, x), dy0 = std::min(drawn->y, y);
                const int dx1 = std::max(drawn->x + drawn->width, x + 1), dy1 = std::max(drawn->y + drawn->height, y + 1);
                *drawn = cfl_face{dx0, dy0, dx1 - dx0, dy1 - dy0, 0};
            }
        }
    }
}

// Warps one plane whose pixels are `scale` times the landmark coordinates (1 for Y, 0.5
// for the chroma of yuv420p), and fills the opened mouth (see fill_interior).
void warp_plane(const Plane &plane, const Mesh &mesh0, double scale, Shade shade, Source &src, cfl_face *drawn) {
    // Chroma sample j sits at luma 2j + 0.5.
    const double off = scale < 1 ? 0.5 : 0;
    auto tr = [&](V2 q) { return V2{(q.x - off) * scale, (q.y - off) * scale}; };
    Mesh m = mesh0;
    for (auto *v : {&m.src, &m.dstUpper, &m.dstLower})
        for (auto &q : *v) q = tr(q);
    for (int k = 0; k < 5; ++k) {
        m.upperInner[k] = tr(m.upperInner[k]); m.lowerInner[k] = tr(m.lowerInner[k]);
        m.upperInnerSrc[k] = tr(m.upperInnerSrc[k]); m.lowerInnerSrc[k] = tr(m.lowerInnerSrc[k]);
    }

    // The region read: every moving triangle's source and destination.
    double minx = 1e30, miny = 1e30, maxx = -1e30, maxy = -1e30;
    bool any = false;
    for (const auto &t : m.tris) {
        bool mv = false;
        for (int v : t) mv = mv || moved(m.src[v], m.dstUpper[v]) || moved(m.src[v], m.dstLower[v]);
        if (!mv) continue;
        any = true;
        for (int v : t)
            for (V2 q : {m.src[v], m.dstUpper[v], m.dstLower[v]}) {
                minx = std::min(minx, q.x); maxx = std::max(maxx, q.x);
                miny = std::min(miny, q.y); maxy = std::max(maxy, q.y);
            }
    }
    if (!any) return;
    src.x0 = std::max(0, (int)std::floor(minx) - 2);
    src.y0 = std::max(0, (int)std::floor(miny) - 2);
    const int x1 = std::min(plane.width - 1, (int)std::ceil(maxx) + 2);
    const int y1 = std::min(plane.height - 1, (int)std::ceil(maxy) + 2);
    if (x1 < src.x0 || y1 < src.y0) return;
    src.w = x1 - src.x0 + 1;
    src.h = y1 - src.y0 + 1;
    src.pixels.resize((size_t)src.w * src.h);
    for (int y = 0; y < src.h; ++y)
        std::memcpy(&src.pixels[(size_t)y * src.w], plane.data + (size_t)(y + src.y0) * plane.stride + src.x0, src.w);

    // Upper layer: every moving triangle.
    for (const auto &t : m.tris) {
        bool mv = false;
        for (int v : t) mv = mv || moved(m.src[v], m.dstUpper[v]);
        if (!mv) continue;
        const V2 d[3] = {m.dstUpper[t[0]], m.dstUpper[t[1]], m.dstUpper[t[2]]};
        const V2 s[3] = {m.src[t[0]], m.src[t[1]], m.src[t[2]]};
        raster_triangle(plane, src, d, s, nullptr);
    }
    // Lower layer: the triangles on the lip line, where the lower lip follows the jaw,
    // drawn only below the lower inner lip.
    double lipMin = 1e30, lipMax = -1e30;
    for (const V2 &q : m.lowerInner) { lipMin = std::min(lipMin, q.x); lipMax = std::max(lipMax, q.x); }
    const LipLine lip(m.lowerInner, 5, std::max(0, (int)std::floor(lipMin)), std::min(plane.width - 1, (int)std::ceil(lipMax)));
    for (const auto &t : m.tris) {
        bool onLine = false;
        for (int v : t) onLine = onLine || (v >= kLipLine && v < kAnchors);
        if (!onLine) continue;
        const V2 d[3] = {m.dstLower[t[0]], m.dstLower[t[1]], m.dstLower[t[2]]};
        const V2 s[3] = {m.src[t[0]], m.src[t[1]], m.src[t[2]]};
        raster_triangle(plane, src, d, s, &lip);
    }

    fill_interior(plane, m, scale, shade, src, drawn);
}

}  // namespace

extern "C" int cfl_mouth_open_yuv420p(uint8_t *frame, int width, int height, const cfl_point *landmarks,
                                      double opening, cfl_face *mouth) {
    if (mouth) *mouth = cfl_face{0, 0, 0, 0, 0};
    if (!frame || !landmarks || width <= 1 || height <= 1) return -1;
    if (!(opening > 0.25)) return 0;
    try {
        const Mesh mesh = build_mesh(landmarks, opening);
        thread_local Source src;
        const int cw = (width + 1) / 2, ch = (height + 1) / 2;
        uint8_t *y = frame, *u = frame + (size_t)width * height, *v = u + (size_t)cw * ch;
        // A dim red near the lips, near black deep in.
        warp_plane(Plane{y, width, height, width}, mesh, 1.0, Shade{72, 20, true}, src, mouth);
        warp_plane(Plane{u, cw, ch, cw}, mesh, 0.5, Shade{121, 127, false}, src, nullptr);
        warp_plane(Plane{v, cw, ch, cw}, mesh, 0.5, Shade{150, 134, false}, src, nullptr);
        return 1;
    } catch (...) {
        return -1;
    }
}
