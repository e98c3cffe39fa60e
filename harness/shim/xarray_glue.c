// SPDX-License-Identifier: GPL-2.0
/*
 * What lib/xarray.c takes from lib/radix-tree.c: the cache of its nodes
 * and their RCU-delayed free.  A node comes zeroed with an empty private
 * list, as radix_tree_node_ctor() leaves it.
 */
#include <linux/list.h>
#include <linux/xarray.h>

static void node_ctor(void *obj)
{
	struct xa_node *node = obj;

	INIT_LIST_HEAD(&node->private_list);
}

static struct kmem_cache node_cache = {
	.name = "radix_tree_node",
	.size = sizeof(struct xa_node),
	.ctor = node_ctor,
};

struct kmem_cache *radix_tree_node_cachep = &node_cache;

void radix_tree_node_rcu_free(struct rcu_head *head)
{
	struct xa_node *node = container_of(head, struct xa_node, rcu_head);

	kmem_cache_free(radix_tree_node_cachep, node);
}
