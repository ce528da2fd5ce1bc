package templates

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	texttemplate "text/template"
	"text/template/parse"
)

// Pages names the page templates: each file that defines the template of
// its own name (layout.html and charts.html define only parts).
func Pages() []string {
	set, err := parseText()
	if err != nil {
		return nil
	}
	var names []string
	for _, t := range set.Templates() {
		if strings.HasSuffix(t.Name(), ".html") && t.Tree != nil && !blank(t.Tree.Root) {
			names = append(names, t.Name())
		}
	}
	slices.Sort(names)
	return names
}

func blank(l *parse.ListNode) bool {
	for _, n := range l.Nodes {
		if text, ok := n.(*parse.TextNode); !ok || strings.TrimSpace(string(text.Text)) != "" {
			return false
		}
	}
	return true
}

// Check reports every field or method the named page (and each template
// it calls) names that data's type does not have, on every branch, not
// only those a rendering takes; and every if or with on a struct value,
// which is always true. Executing a template finds a wrong name only on
// the branches the data reaches: Check finds it on all of them.
func Check(name string, data reflect.Type) error {
	set, err := parseText()
	if err != nil {
		return err
	}
	return check(set, name, data)
}

// parseText parses the files afresh, apart from the set pages render with
// (html/template rewrites its trees when it first executes them).
func parseText() (*texttemplate.Template, error) {
	return texttemplate.New("").Funcs(texttemplate.FuncMap(funcs)).ParseFS(files, "*.html")
}

func check(set *texttemplate.Template, name string, data reflect.Type) error {
	c := &checker{set: set, seen: map[string]bool{}}
	c.template(name, data, nil)
	return errors.Join(c.errs...)
}

// checker walks parse trees with the static type of dot; a nil type is one
// it cannot know (an interface, a function's untyped result): below it,
// nothing is checked.
type checker struct {
	set  *texttemplate.Template
	seen map[string]bool // template name and dot type, each walked once
	tree *parse.Tree
	errs []error
}

type variable struct {
	name string
	typ  reflect.Type
}

func (c *checker) errorf(n parse.Node, format string, args ...any) {
	loc, _ := c.tree.ErrorContext(n)
	c.errs = append(c.errs, fmt.Errorf("%s: %s", loc, fmt.Sprintf(format, args...)))
}

func (c *checker) template(name string, dot reflect.Type, at parse.Node) {
	key := name + "\x00" + fmt.Sprint(dot)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	t := c.set.Lookup(name)
	if t == nil || t.Tree == nil {
		c.errorf(at, "no template %q", name)
		return
	}
	outer := c.tree
	c.tree = t.Tree
	vars := []variable{{"$", dot}}
	c.list(t.Tree.Root, dot, &vars)
	c.tree = outer
}

func (c *checker) list(l *parse.ListNode, dot reflect.Type, vars *[]variable) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		c.node(n, dot, vars)
	}
}

func (c *checker) node(n parse.Node, dot reflect.Type, vars *[]variable) {
	mark := len(*vars)
	switch n := n.(type) {
	case *parse.ActionNode:
		c.pipe(n.Pipe, dot, vars, true)
		return // its variables last until the end of the enclosing block
	case *parse.IfNode:
		c.truth(n.Pipe, c.pipe(n.Pipe, dot, vars, true))
		c.branches(&n.BranchNode, dot, dot, vars)
	case *parse.WithNode:
		t := c.pipe(n.Pipe, dot, vars, true)
		c.truth(n.Pipe, t)
		c.branches(&n.BranchNode, t, dot, vars)
	case *parse.RangeNode:
		t := c.pipe(n.Pipe, dot, vars, false)
		key, elem := rangeTypes(t)
		switch len(n.Pipe.Decl) {
		case 1:
			*vars = append(*vars, variable{n.Pipe.Decl[0].Ident[0], elem})
		case 2:
			*vars = append(*vars, variable{n.Pipe.Decl[0].Ident[0], key}, variable{n.Pipe.Decl[1].Ident[0], elem})
		}
		c.branches(&n.BranchNode, elem, dot, vars)
	case *parse.TemplateNode:
		var t reflect.Type
		if n.Pipe != nil {
			t = c.pipe(n.Pipe, dot, vars, true)
		}
		c.template(n.Name, t, n)
	}
	*vars = (*vars)[:mark]
}

// branches walks a block's list with inner as dot, then its else with outer.
func (c *checker) branches(b *parse.BranchNode, inner, outer reflect.Type, vars *[]variable) {
	mark := len(*vars)
	c.list(b.List, inner, vars)
	*vars = (*vars)[:mark]
	c.list(b.ElseList, outer, vars)
	*vars = (*vars)[:mark]
}

// truth refuses a condition that cannot be false.
func (c *checker) truth(p *parse.PipeNode, t reflect.Type) {
	if t != nil && t.Kind() == reflect.Struct {
		c.errorf(p, "%s is a struct, which is always true: use a pointer or a field", t)
	}
}

func rangeTypes(t reflect.Type) (key, elem reflect.Type) {
	if t == nil {
		return nil, nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return reflect.TypeFor[int](), t.Elem()
	case reflect.Map:
		return t.Key(), t.Elem()
	case reflect.Int:
		return t, t
	}
	return nil, nil
}

func (c *checker) pipe(p *parse.PipeNode, dot reflect.Type, vars *[]variable, declare bool) reflect.Type {
	var t reflect.Type
	for i, cmd := range p.Cmds {
		t = c.command(cmd, dot, *vars, i > 0)
	}
	if declare {
		for _, d := range p.Decl {
			if p.IsAssign {
				continue // an assignment to a variable declared before: its type stays
			}
			*vars = append(*vars, variable{d.Ident[0], t})
		}
	}
	return t
}

// builtinResults are the result types of the built-in functions that have one.
var builtinResults = map[string]reflect.Type{
	"not": reflect.TypeFor[bool](), "eq": reflect.TypeFor[bool](), "ne": reflect.TypeFor[bool](),
	"lt": reflect.TypeFor[bool](), "le": reflect.TypeFor[bool](), "gt": reflect.TypeFor[bool](), "ge": reflect.TypeFor[bool](),
	"len": reflect.TypeFor[int](), "print": reflect.TypeFor[string](), "printf": reflect.TypeFor[string](),
	"println": reflect.TypeFor[string](), "html": reflect.TypeFor[string](), "js": reflect.TypeFor[string](),
	"urlquery": reflect.TypeFor[string](),
}

func (c *checker) command(cmd *parse.CommandNode, dot reflect.Type, vars []variable, piped bool) reflect.Type {
	var args []reflect.Type
	for _, a := range cmd.Args[1:] {
		args = append(args, c.operand(a, dot, vars))
	}
	if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok {
		switch {
		case id.Ident == "index" && len(args) > 0:
			t := args[0]
			for range args[1:] {
				_, t = rangeTypes(t)
			}
			return t
		case id.Ident == "slice" && len(args) > 0:
			return args[0]
		case builtinResults[id.Ident] != nil:
			return builtinResults[id.Ident]
		}
		if fn, ok := funcs[id.Ident]; ok {
			if ft := reflect.TypeOf(fn); ft.NumOut() > 0 {
				return ft.Out(0)
			}
		}
		return nil // and, or, call: one of their operands, or anything
	}
	return c.operand(cmd.Args[0], dot, vars)
}

func (c *checker) operand(n parse.Node, dot reflect.Type, vars []variable) reflect.Type {
	switch n := n.(type) {
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		return c.fields(n, dot, n.Ident)
	case *parse.VariableNode:
		for i := len(vars) - 1; i >= 0; i-- {
			if vars[i].name == n.Ident[0] {
				return c.fields(n, vars[i].typ, n.Ident[1:])
			}
		}
		c.errorf(n, "undefined variable %s", n.Ident[0])
	case *parse.ChainNode:
		var base reflect.Type
		if p, ok := n.Node.(*parse.PipeNode); ok {
			base = c.pipe(p, dot, &vars, false)
		} else {
			base = c.operand(n.Node, dot, vars)
		}
		return c.fields(n, base, n.Field)
	case *parse.PipeNode:
		return c.pipe(n, dot, &vars, false)
	case *parse.StringNode:
		return reflect.TypeFor[string]()
	case *parse.BoolNode:
		return reflect.TypeFor[bool]()
	case *parse.NumberNode:
		if n.IsInt {
			return reflect.TypeFor[int]()
		}
	}
	return nil
}

// fields follows a chain of field and method names from t, as executing
// the template would, and reports the first name t does not have.
func (c *checker) fields(n parse.Node, t reflect.Type, names []string) reflect.Type {
	for _, name := range names {
		if t == nil || t.Kind() == reflect.Interface {
			return nil
		}
		pt := t
		if pt.Kind() != reflect.Pointer {
			pt = reflect.PointerTo(t)
		}
		if m, ok := pt.MethodByName(name); ok {
			if m.Type.NumOut() == 0 {
				return nil
			}
			t = m.Type.Out(0)
			continue
		}
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		switch t.Kind() {
		case reflect.Struct:
			f, ok := t.FieldByName(name)
			if !ok || !f.IsExported() {
				c.errorf(n, "%s has no field or method %s", t, name)
				return nil
			}
			t = f.Type
		case reflect.Map:
			if t.Key().Kind() != reflect.String {
				c.errorf(n, "%s is not keyed by strings: no .%s", t, name)
				return nil
			}
			t = t.Elem()
		default:
			c.errorf(n, "%s has no field or method %s", t, name)
			return nil
		}
	}
	return t
}
