/** The PromQL text of a query-form expression. */
import type { BinaryOp, Expr, Matcher } from './expr.ts';

const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

export function printMatchers(matchers: readonly Matcher[]): string {
  return matchers.map((m) => `${m.label}${m.op}"${escape(m.value)}"`).join(', ');
}

const PRECEDENCE: Record<BinaryOp, number> = {
  or: 1,
  '>': 3,
  '<': 3,
  '>=': 3,
  '<=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
};

export function toPromQL(e: Expr): string {
  switch (e.kind) {
    case 'number':
      return String(e.value);
    case 'vector':
      return `vector(${e.value})`;
    case 'select':
      return e.matchers.length === 0 ? e.metric : `${e.metric}{${printMatchers(e.matchers)}}`;
    case 'range':
      return `${e.fn}(${toPromQL(e.select)}[${e.window}])`;
    case 'aggregate':
      return e.grouping
        ? `${e.op} ${e.grouping.mode} (${e.grouping.labels.join(', ')}) (${toPromQL(e.expr)})`
        : `${e.op}(${toPromQL(e.expr)})`;
    case 'topk':
      return `topk(${e.k}, ${toPromQL(e.expr)})`;
    case 'quantile':
      return `histogram_quantile(${e.q}, ${toPromQL(e.expr)})`;
    case 'clamp':
      return `${e.fn}(${toPromQL(e.expr)}, ${e.bound})`;
    case 'binary': {
      // Parentheses where PromQL's precedence would otherwise regroup the tree (left-associative operators).
      const side = (x: Expr, right: boolean): string => {
        const text = toPromQL(x);
        if (x.kind !== 'binary') return text;
        const inner = PRECEDENCE[x.op];
        const outer = PRECEDENCE[e.op];
        return inner < outer || (right && inner === outer) ? `(${text})` : text;
      };
      return `${side(e.lhs, false)} ${e.op} ${side(e.rhs, true)}`;
    }
    case 'paren':
      return `(${toPromQL(e.expr)})`;
  }
}
