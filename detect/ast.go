package detect

import (
	"fmt"
	"strconv"
	"strings"
)

// Node is a node of the EQL syntax tree. Pos is the byte offset of the node
// in the query text.
type Node interface {
	Pos() int
	String() string // EQL text equivalent to the node (canonical spacing)
}

// Expr is any expression node.
type Expr interface {
	Node
	exprNode()
}

// Field is a field reference: process.name, ?process.pe.original_file_name,
// `weird field`.
type Field struct {
	At       int
	Name     string // dotted name as stored in the flat document
	Optional bool   // written with a leading ?
}

// Literal is a constant: string, integer (int64), decimal (float64), true,
// false or null (Value nil).
type Literal struct {
	At    int
	Value any
}

// Not is "not X".
type Not struct {
	At int
	X  Expr
}

// Logical is "X and Y" or "X or Y".
type Logical struct {
	At   int
	Op   string // "and" or "or"
	X, Y Expr
}

// Compare is a binary comparison: == != < <= > >=.
type Compare struct {
	At   int
	Op   string
	X, Y Expr
}

// Match is one of the pattern/list predicates: X : (..), X in (..),
// X in~ (..), X not in (..), X not in~ (..), X like (..), X like~ (..),
// X regex (..), X regex~ (..).
type Match struct {
	At              int
	Op              string // ":", "in", "like", "regex"
	Negated         bool   // not in, not in~
	CaseInsensitive bool   // ~ forms; always true for ":"
	X               Expr
	List            []Expr // literals (and, for in, any expression)

	regexps   []*compiledRegex   // compiled patterns for "regex"
	wildcards []*wildcardPattern // prepared patterns for ":" and "like" (nil: not a string)
}

// Arith is a binary arithmetic operation: + - * / %.
type Arith struct {
	At   int
	Op   string
	X, Y Expr
}

// Neg is unary minus.
type Neg struct {
	At int
	X  Expr
}

// Call is a function call. Name is canonical (as in the function table);
// CaseInsensitive is set for the ~ form.
type Call struct {
	At              int
	Name            string
	CaseInsensitive bool
	Args            []Expr

	fn *function
}

// Paren keeps explicit parentheses so String round-trips readably.
type Paren struct {
	At int
	X  Expr
}

func (n *Field) Pos() int   { return n.At }
func (n *Literal) Pos() int { return n.At }
func (n *Not) Pos() int     { return n.At }
func (n *Logical) Pos() int { return n.At }
func (n *Compare) Pos() int { return n.At }
func (n *Match) Pos() int   { return n.At }
func (n *Arith) Pos() int   { return n.At }
func (n *Neg) Pos() int     { return n.At }
func (n *Call) Pos() int    { return n.At }
func (n *Paren) Pos() int   { return n.At }

func (*Field) exprNode()   {}
func (*Literal) exprNode() {}
func (*Not) exprNode()     {}
func (*Logical) exprNode() {}
func (*Compare) exprNode() {}
func (*Match) exprNode()   {}
func (*Arith) exprNode()   {}
func (*Neg) exprNode()     {}
func (*Call) exprNode()    {}
func (*Paren) exprNode()   {}

func (n *Field) String() string {
	name := n.Name
	if !isPlainFieldName(name) {
		name = "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	if n.Optional {
		return "?" + name
	}
	return name
}

func isPlainFieldName(name string) bool {
	for _, part := range strings.Split(name, ".") {
		if part == "" || !isIdentStart(part[0]) || keywords[part] {
			return false
		}
		for i := 1; i < len(part); i++ {
			c := part[i]
			// '@' may only start a part (the lexer's rule), as in @timestamp.
			if c == '@' || !(isIdentStart(c) || isDigit(c)) {
				return false
			}
		}
	}
	return true
}

func (n *Literal) String() string {
	switch v := n.Value.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		s := strconv.FormatFloat(v, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eE") {
			s += ".0" // stay a decimal when parsed again
		}
		return s
	case string:
		return quoteEQL(v)
	}
	return "?"
}

// quoteEQL writes s as an EQL double-quoted string.
func quoteEQL(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u{%02x}`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (n *Not) String() string     { return "not " + n.X.String() }
func (n *Logical) String() string { return n.X.String() + " " + n.Op + " " + n.Y.String() }
func (n *Compare) String() string { return n.X.String() + " " + n.Op + " " + n.Y.String() }
func (n *Arith) String() string   { return n.X.String() + " " + n.Op + " " + n.Y.String() }
func (n *Neg) String() string     { return "-" + n.X.String() }
func (n *Paren) String() string   { return "(" + n.X.String() + ")" }

func (n *Match) String() string {
	op := n.Op
	if n.Op != ":" && n.CaseInsensitive {
		op += "~"
	}
	if n.Negated {
		op = "not " + op
	}
	return n.X.String() + " " + op + " " + joinExprs(n.List)
}

func (n *Call) String() string {
	name := n.Name
	if n.CaseInsensitive {
		name += "~"
	}
	parts := make([]string, len(n.Args))
	for i, a := range n.Args {
		parts[i] = a.String()
	}
	return name + "(" + strings.Join(parts, ", ") + ")"
}

func joinExprs(list []Expr) string {
	parts := make([]string, len(list))
	for i, a := range list {
		parts[i] = a.String()
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Visitor's Visit is called for each node met by Walk. If the result w is
// not nil, Walk visits each child of node with w, then calls w.Visit(nil),
// as go/ast does.
type Visitor interface {
	Visit(node Node) (w Visitor)
}

// Walk traverses the tree rooted at node in depth-first order.
func Walk(v Visitor, node Node) {
	if v = v.Visit(node); v == nil {
		return
	}
	for _, c := range children(node) {
		Walk(v, c)
	}
	v.Visit(nil)
}

type inspector func(Node) bool

func (f inspector) Visit(node Node) Visitor {
	if f(node) {
		return f
	}
	return nil
}

// Inspect calls f for each node in depth-first order, starting with node;
// if f returns false, the node's children are skipped. f(nil) is called
// after the children, as in go/ast.
func Inspect(node Node, f func(Node) bool) {
	Walk(inspector(f), node)
}

func children(node Node) []Node {
	switch n := node.(type) {
	case *Not:
		return []Node{n.X}
	case *Logical:
		return []Node{n.X, n.Y}
	case *Compare:
		return []Node{n.X, n.Y}
	case *Arith:
		return []Node{n.X, n.Y}
	case *Neg:
		return []Node{n.X}
	case *Paren:
		return []Node{n.X}
	case *Match:
		out := make([]Node, 0, 1+len(n.List))
		out = append(out, n.X)
		for _, e := range n.List {
			out = append(out, e)
		}
		return out
	case *Call:
		out := make([]Node, len(n.Args))
		for i, e := range n.Args {
			out[i] = e
		}
		return out
	}
	return nil
}
